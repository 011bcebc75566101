using System.CommandLine;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs rm NAME...</c>: deletes files (waiting, like a writer, for their readers and writer to close).</summary>
internal static class RmCommand
{
    public static Command Create(CliHost host)
    {
        var names = new Argument<string[]>("NAME") { Description = "The files to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", "Delete files and their blocks on every file server") { names };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            foreach (var name in parse.GetRequiredValue(names))
            {
                await client.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
