using System.CommandLine;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs mv FROM TO</c>: renames atomically; into TO when TO is an existing directory, as mv does.</summary>
internal static class MvCommand
{
    public static Command Create(CliHost host)
    {
        var from = new Argument<string>("FROM") { Description = "The file, directory or link to move" };
        var to = new Argument<string>("TO") { Description = "Its new path, or an existing directory to move it into" };
        var command = new Command("mv", "Move or rename (atomic; a file replaces a file, a directory only an empty one)") { from, to };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var source = parse.GetRequiredValue(from);
            var target = parse.GetRequiredValue(to);
            if (PfsTree.Show(source) != PfsTree.Show(target)
                && await PfsTree.IsDirectoryAsync(client, target, cancellationToken).ConfigureAwait(false))
            {
                target = PfsTree.Join(target, PfsTree.LastComponent(source));
            }

            await client.RenameAsync(source, target, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
