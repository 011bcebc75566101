using System.CommandLine;
using System.Globalization;
using Pfs.Cli.Output;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs ls [--json]</c>: every file (the namespace is flat) with size, striping and mtime.</summary>
internal static class LsCommand
{
    public static Command Create(CliHost host)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array (camelCase fields) instead of a table" };
        var command = new Command("ls", "List files: name, size, stripe width, block size, modification time") { json };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var files = await client.ListAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(files, CliJson.Default.IReadOnlyListPfsFileInfo);
                return ExitCodes.Ok;
            }

            if (files.Count == 0)
            {
                return ExitCodes.Ok;
            }

            var table = new CliTable("NAME", "SIZE", "WIDTH", "BLOCK", "MODIFIED").AlignRight(1, 2, 3);
            foreach (var file in files)
            {
                table.AddRow(
                    file.Name,
                    file.Size.ToString(CultureInfo.InvariantCulture),
                    file.StripeWidth.ToString(CultureInfo.InvariantCulture),
                    Sizes.Format(file.BlockSize),
                    Times.Format(file.Modified));
            }

            table.Write(host.Console);
            return ExitCodes.Ok;
        });
        return command;
    }
}
