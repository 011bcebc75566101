using System.CommandLine;
using System.Globalization;
using Pfs.Cli.Output;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs stripe NAME [--json]</c>: which servers hold which blocks of a file, and how many bytes each.</summary>
internal static class StripeCommand
{
    public static Command Create(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "The file in Pfs" };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of a table" };
        var command = new Command("stripe", "Show which file servers hold which blocks of a file, with bytes per server") { name, json };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var layout = await client.GetLayoutAsync(parse.GetRequiredValue(name), cancellationToken).ConfigureAwait(false);
            var shares = StripeMap.Compute(layout);
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(new StripeJson(layout.Name, layout.Size, layout.BlockSize, layout.StripeWidth, layout.BlockCount, shares),
                    CliJson.Default.StripeJson);
                return ExitCodes.Ok;
            }

            host.Console.Out.WriteLine(
                $"{layout.Name}: {layout.Size} bytes ({Sizes.Format(layout.Size)}) in {layout.BlockCount} blocks of {Sizes.Format(layout.BlockSize)}, " +
                $"striped over {layout.StripeWidth} file server{(layout.StripeWidth == 1 ? "" : "s")} (block i on server i % {layout.StripeWidth})");
            var table = new CliTable("SERVER", "ADDRESS", "BLOCKS", "BYTES").AlignRight(0, 3);
            foreach (var share in shares)
            {
                table.AddRow(
                    share.Server.ToString(CultureInfo.InvariantCulture),
                    share.Address,
                    share.Blocks,
                    share.Bytes.ToString(CultureInfo.InvariantCulture));
            }

            table.AddRow("total", string.Empty, $"{layout.BlockCount} blocks", shares.Sum(share => share.Bytes).ToString(CultureInfo.InvariantCulture));
            table.Write(host.Console);
            return ExitCodes.Ok;
        });
        return command;
    }
}
