using System.CommandLine;
using System.CommandLine.Parsing;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs truncate -s SIZE PATH...</c>: cuts files to SIZE or extends them with zeros, as a writer (published at its close).</summary>
internal static class TruncateCommand
{
    public static Command Create(CliHost host)
    {
        var paths = new Argument<string[]>("PATH") { Description = "The files", Arity = ArgumentArity.OneOrMore };
        var size = new Option<long>("--size", "-s")
        {
            Description = "The new length in bytes, e.g. 0, 4096, 10M",
            HelpName = "SIZE",
            Required = true,
            CustomParser = static result => ParseSize(result),
        };
        var command = new Command("truncate", "Cut files to a length, or extend them with zeros") { paths, size };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            foreach (var path in parse.GetRequiredValue(paths))
            {
                await using var file = await LockWait.NoticeAsync(host.Console, path, () => client.OpenAsync(path, PfsOpenMode.Write, cancellationToken)).ConfigureAwait(false);
                await file.SetLengthAsync(parse.GetValue(size), cancellationToken).ConfigureAwait(false);
                await file.CloseAsync().ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static long ParseSize(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Sizes.TryParse(text, out var bytes) && bytes >= 0)
        {
            return bytes;
        }

        result.AddError($"--size '{text}' is not a size such as 0, 4096, 64K or 10M");
        return 0;
    }
}
