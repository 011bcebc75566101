using System.CommandLine;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs cat NAME...</c>: writes files to stdout, one after the other.</summary>
internal static class CatCommand
{
    public static Command Create(CliHost host)
    {
        var names = new Argument<string[]>("NAME") { Description = "The files in Pfs", Arity = ArgumentArity.OneOrMore };
        var command = new Command("cat", "Write files to standard output") { names };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            await using var output = host.Console.OpenData();
            foreach (var name in parse.GetRequiredValue(names))
            {
                await using var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken).ConfigureAwait(false);
                await using var source = file.AsStream();
                await source.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
