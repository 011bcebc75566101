using System.Globalization;
using Pfs.Client;

namespace Pfs.Cli;

/// <summary>What one file server holds of a file: block <c>i</c> is on server <c>i % width</c>.</summary>
/// <param name="Server">The server's index in the stripe.</param>
/// <param name="Address">The server's address.</param>
/// <param name="FirstBlock">Its first block of the file; -1 when it holds none.</param>
/// <param name="LastBlock">Its last block of the file; -1 when it holds none.</param>
/// <param name="BlockCount">How many of the file's blocks it holds.</param>
/// <param name="Bytes">How many of the file's bytes those blocks carry (the file's last block may be partial).</param>
/// <param name="Blocks">The blocks in words, e.g. <c>every 3rd block from 0: 0..2046 (683 blocks)</c>.</param>
internal sealed record ServerShare(int Server, string Address, long FirstBlock, long LastBlock, long BlockCount, long Bytes, string Blocks);

/// <summary>Splits a file's layout into what each server of its stripe holds.</summary>
internal static class StripeMap
{
    public static IReadOnlyList<ServerShare> Compute(PfsStripeLayout layout)
    {
        var width = layout.StripeWidth;
        var blocks = layout.BlockCount;
        // Every block is full except perhaps the file's last one.
        var lastBlockShort = blocks == 0 ? 0 : (blocks * layout.BlockSize) - layout.Size;
        var shares = new List<ServerShare>(width);
        for (var server = 0; server < width; server++)
        {
            var count = blocks > server ? ((blocks - 1 - server) / width) + 1 : 0;
            var last = server + ((count - 1) * width);
            var bytes = (count * layout.BlockSize) - (count > 0 && last == blocks - 1 ? lastBlockShort : 0);
            shares.Add(new ServerShare(server, layout.Servers[server], count > 0 ? server : -1, count > 0 ? last : -1, count, bytes,
                Describe(server, last, count, width)));
        }

        return shares;
    }

    private static string Describe(long first, long last, long count, int width) => count switch
    {
        0 => "none",
        1 => string.Create(CultureInfo.InvariantCulture, $"block {first}"),
        _ when width == 1 => string.Create(CultureInfo.InvariantCulture, $"blocks {first}..{last} ({count} blocks)"),
        _ => string.Create(CultureInfo.InvariantCulture, $"every {Ordinal(width)} block from {first}: {first}..{last} ({count} blocks)"),
    };

    private static string Ordinal(int n) =>
        string.Create(CultureInfo.InvariantCulture, $"{n}") + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch
        {
            1 => "st",
            2 => "nd",
            3 => "rd",
            _ => "th",
        });
}
