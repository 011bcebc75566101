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

/// <summary>What one position of a file with parity holds: its share of the data blocks and of the parity blocks.</summary>
/// <param name="Position">The position (0 to K + M - 1).</param>
/// <param name="Address">The file server at that position.</param>
/// <param name="DataBlocks">How many of the file's data blocks it holds.</param>
/// <param name="ParityBlocks">How many parity blocks (one per stripe where a parity shard falls on it).</param>
/// <param name="Stale">Whether its shards are stale until a repair rebuilds them.</param>
internal sealed record PositionShare(int Position, string Address, long DataBlocks, long ParityBlocks, bool Stale);

/// <summary>
/// The layout of a file with parity: stripe <c>s</c> has K data and M parity shards, shard <c>j</c> on
/// position <c>(j + s) % (K + M)</c>, so data and parity rotate over every position.
/// </summary>
internal static class ParityStripeMap
{
    /// <summary>How many stripes the map of the first ones shows.</summary>
    public const int ShownStripes = 4;

    public static long Stripes(PfsStripeLayout layout) => (layout.BlockCount + layout.StripeWidth - 1) / layout.StripeWidth;

    public static IReadOnlyList<PositionShare> Compute(PfsStripeLayout layout)
    {
        var k = layout.StripeWidth;
        var positions = layout.Positions.Count;
        var stripes = Stripes(layout);
        var shares = new List<PositionShare>(positions);
        for (var position = 0; position < positions; position++)
        {
            // Every run of K + M whole stripes puts each shard on each position once; the rest are counted one by one.
            var whole = Math.Max(stripes - 1, 0);
            var cycles = whole / positions;
            long data = cycles * k;
            long parity = cycles * (positions - k);
            for (var stripe = cycles * positions; stripe < stripes; stripe++)
            {
                var shard = ShardAt(stripe, position, positions);
                if (shard >= k)
                {
                    parity++;
                }
                else if ((stripe * k) + shard < layout.BlockCount)
                {
                    data++;
                }
            }

            shares.Add(new PositionShare(position, layout.Positions[position], data, parity, layout.StalePositions.Contains(position)));
        }

        return shares;
    }

    /// <summary>The first stripes, a row each: per position, <c>dN</c> for data block N, <c>pJ</c> for parity shard J, <c>-</c> past the file's end.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> FirstStripes(PfsStripeLayout layout)
    {
        var k = layout.StripeWidth;
        var positions = layout.Positions.Count;
        var rows = new List<IReadOnlyList<string>>();
        for (var stripe = 0L; stripe < Math.Min(Stripes(layout), ShownStripes); stripe++)
        {
            var row = new string[positions];
            for (var position = 0; position < positions; position++)
            {
                var shard = ShardAt(stripe, position, positions);
                var block = (stripe * k) + shard;
                row[position] = shard >= k ? string.Create(CultureInfo.InvariantCulture, $"p{shard - k}")
                    : block < layout.BlockCount ? string.Create(CultureInfo.InvariantCulture, $"d{block}") : "-";
            }

            rows.Add(row);
        }

        return rows;
    }

    private static int ShardAt(long stripe, int position, int positions) => (int)(((position - (stripe % positions)) + positions) % positions);
}
