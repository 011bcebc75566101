using System.CommandLine;
using System.Globalization;
using Pfs.Cli.Output;
using Pfs.Client;

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
            if (layout.ParityBlocks > 0)
            {
                WriteWithParity(host, layout, parse.GetValue(json));
                return ExitCodes.Ok;
            }

            var shares = StripeMap.Compute(layout);
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(new StripeJson(layout.Name, layout.Size, layout.BlockSize, layout.StripeWidth, layout.BlockCount, shares),
                    CliJson.Default.StripeJson);
                return ExitCodes.Ok;
            }

            host.Console.Out.WriteLine(
                $"{layout.Name}: {layout.Size} bytes ({Sizes.Format(layout.Size)}) in {Counts.Of(layout.BlockCount, "block")} of {Sizes.Format(layout.BlockSize)}, " +
                $"striped over {Counts.Of(layout.StripeWidth, "file server")} (block i on server i % {layout.StripeWidth})");
            var table = new CliTable("SERVER", "ADDRESS", "BLOCKS", "BYTES").AlignRight(0, 3);
            foreach (var share in shares)
            {
                table.AddRow(
                    share.Server.ToString(CultureInfo.InvariantCulture),
                    share.Address,
                    share.Blocks,
                    share.Bytes.ToString(CultureInfo.InvariantCulture));
            }

            table.AddRow("total", string.Empty, Counts.Of(layout.BlockCount, "block"), shares.Sum(share => share.Bytes).ToString(CultureInfo.InvariantCulture));
            table.Write(host.Console);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteWithParity(CliHost host, PfsStripeLayout layout, bool json)
    {
        var shares = ParityStripeMap.Compute(layout);
        var first = ParityStripeMap.FirstStripes(layout);
        if (json)
        {
            host.Console.WriteJson(new StripeJson(layout.Name, layout.Size, layout.BlockSize, layout.StripeWidth, layout.BlockCount, [])
            {
                ParityBlocks = layout.ParityBlocks,
                Positions = shares,
                StalePositions = layout.StalePositions,
                FirstStripes = first,
            }, CliJson.Default.StripeJson);
            return;
        }

        var k = layout.StripeWidth;
        var m = layout.ParityBlocks;
        var stripes = ParityStripeMap.Stripes(layout);
        var output = host.Console.Out;
        output.WriteLine(
            $"{layout.Name}: {layout.Size} bytes ({Sizes.Format(layout.Size)}) in {Counts.Of(layout.BlockCount, "block")} of {Sizes.Format(layout.BlockSize)}, " +
            $"{k}+{m} erasure-coded over {k + m} file servers: {Counts.Of(stripes, "stripe")} of {k} data and {m} parity blocks, " +
            "rotating one position per stripe");
        output.WriteLine(layout.StalePositions.Count == 0
            ? "redundancy: full"
            : $"redundancy: degraded (stale positions {string.Join(' ', layout.StalePositions)}; 'pfs repair' rebuilds them)");
        var table = new CliTable("POSITION", "ADDRESS", "DATA BLOCKS", "PARITY BLOCKS", "STATE").AlignRight(0, 2, 3);
        foreach (var share in shares)
        {
            table.AddRow(share.Position.ToString(CultureInfo.InvariantCulture), share.Address,
                share.DataBlocks.ToString(CultureInfo.InvariantCulture), share.ParityBlocks.ToString(CultureInfo.InvariantCulture),
                share.Stale ? "stale" : "ok");
        }

        table.Write(host.Console);
        if (first.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"first {Counts.Of(first.Count, "stripe")} (dN: data block N, pJ: parity block J, -: past the end):");
        var map = new CliTable(["STRIPE", .. Enumerable.Range(0, k + m).Select(position => string.Create(CultureInfo.InvariantCulture, $"POS {position}"))]);
        for (var stripe = 0; stripe < first.Count; stripe++)
        {
            map.AddRow([stripe.ToString(CultureInfo.InvariantCulture), .. first[stripe]]);
        }

        map.Write(host.Console);
    }
}
