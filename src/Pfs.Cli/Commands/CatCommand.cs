using System.CommandLine;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs cat NAME...</c>: writes files to stdout, one after the other; one that cannot be opened is a line on stderr and the exit is 1.</summary>
internal static class CatCommand
{
    public static Command Create(CliHost host)
    {
        var names = new Argument<string[]>("NAME") { Description = "The files in Pfs", Arity = ArgumentArity.OneOrMore };
        var command = new Command("cat", "Write files to standard output") { names };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            await using var output = host.Console.OpenData();
            var failed = false;
            foreach (var name in parse.GetRequiredValue(names))
            {
                PfsFile file;
                try
                {
                    file = await LockWait.NoticeAsync(host.Console, name, () => client.OpenAsync(name, PfsOpenMode.Read, cancellationToken)).ConfigureAwait(false);
                }
                catch (PfsException ex) when (ex.Code is PfsErrorCode.NotFound or PfsErrorCode.IsADirectory or PfsErrorCode.NotADirectory or PfsErrorCode.InvalidArgument)
                {
                    // As cat(1): said on stderr, the other files still written, and the exit is 1.
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    host.Console.Fail(ex.Message);
                    failed = true;
                    continue;
                }

                await using (file.ConfigureAwait(false))
                await using (var source = file.AsStream())
                {
                    await source.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }
}
