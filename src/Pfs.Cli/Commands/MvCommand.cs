using System.CommandLine;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs mv FROM... TO</c>: renames atomically; into TO when TO is an existing directory (always, for several FROMs), as mv does.</summary>
internal static class MvCommand
{
    public static Command Create(CliHost host)
    {
        var from = new Argument<string[]>("FROM")
        {
            Description = "The file, directory or link to move; several go into the existing directory TO",
            Arity = ArgumentArity.OneOrMore,
        };
        // Every path lands in FROM (its parser takes all it can), so TO is the last of them; it is declared for the usage line.
        var to = new Argument<string?>("TO") { Description = "Its new path, or an existing directory to move it into", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("mv", "Move or rename (atomic; a file replaces a file, a directory only an empty one)") { from, to };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            string[] all = [.. parse.GetRequiredValue(from), .. parse.GetValue(to) is { } last ? [last] : Array.Empty<string>()];
            if (all.Length < 2)
            {
                throw new UsageException("mv needs FROM and TO (see 'pfs mv --help')");
            }

            var (sources, target) = (all[..^1], all[^1]);
            var into = await PfsTree.IsDirectoryAsync(client, target, cancellationToken).ConfigureAwait(false);
            if (sources.Length > 1)
            {
                if (!into)
                {
                    throw new UsageException($"moving {sources.Length} entries needs an existing directory to move them into; '{target}' is none");
                }

                // Every source is looked at before any moves: a missing one fails the command with nothing moved.
                foreach (var source in sources)
                {
                    await client.StatAsync(source, cancellationToken).ConfigureAwait(false);
                }
            }

            var moves = sources.Select(source =>
                (From: source, To: into && PfsTree.Show(source) != PfsTree.Show(target) ? PfsTree.Join(target, PfsTree.LastComponent(source)) : target)).ToList();

            // rename(2) of a path onto itself succeeds and does nothing; mv(1) says so rather than seem to have moved it.
            if (moves.FirstOrDefault(move => PfsTree.Show(move.From) == PfsTree.Show(move.To)) is { From: not null } same)
            {
                throw new PfsException(PfsErrorCode.InvalidArgument, $"'{PfsTree.Show(same.From)}' and '{PfsTree.Show(same.To)}' are the same entry; nothing was moved");
            }

            foreach (var (source, to) in moves)
            {
                await client.RenameAsync(source, to, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
