using System.Diagnostics;
using System.Security.Cryptography;
using Pfs.Client;
using Pfs.LocalCluster;

namespace Pfs.Demo;

/// <summary>
/// A guided tour: starts a metadata server and three file servers in this process, then shows
/// striping, locking and block-level cache invalidation with two clients.
/// </summary>
internal static class Program
{
    private const int Block = 512;

    public static async Task<int> Main(string[] args)
    {
        if (ClusterDemo.MetaServerAddress(args) is { } metaServer)
        {
            // Started by Aspire (or with --meta URL): run a workload against that cluster instead.
            return await ClusterDemo.RunAsync(metaServer, args);
        }

        Say("Pfs demo: a parallel file system in one process.");
        var clock = Stopwatch.StartNew();
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        Say($"Started a metadata server at {cluster.MetaServerAddress} and 3 file servers " +
            $"({string.Join(", ", cluster.FileServerAddresses.Select(a => a.Authority))}) in {clock.ElapsedMilliseconds} ms.");
        Say($"Blocks are stored under {cluster.DataRoot}.");

        await using var alice = await cluster.ConnectAsync(clientId: "alice");
        await using var bob = await cluster.ConnectAsync(clientId: "bob");
        Say("Two clients, alice and bob, are connected; each has a 128-block cache and a notice stream from the metadata server.");

        Step("1. Create a file striped over 3 servers");
        await alice.CreateAsync("report.bin", stripeWidth: 3);
        var info = await alice.StatAsync("report.bin");
        Say($"alice created '{info.Name}': stripe width {info.StripeWidth}, block size {info.BlockSize} B. " +
            "Block i lives on file server i % 3.");

        Step("2. A striped write");
        var data = new byte[1024 * 1024];
        new Random(42).NextBytes(data);
        clock.Restart();
        await using (var file = await alice.OpenAsync("report.bin", PfsOpenMode.Write))
        {
            await file.WriteAsync(data, 0);
        }

        Say($"alice wrote 1 MiB ({data.Length / Block} blocks) and closed the file in {clock.ElapsedMilliseconds} ms.");
        Say("Each file server got every third block, back to back, in a few large calls made in parallel:");
        for (var server = 0; server < 3; server++)
        {
            var bytes = Directory.GetFiles(Path.Combine(cluster.DataRoot, $"fs{server}"), "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".epoch", StringComparison.Ordinal))
                .Sum(f => new FileInfo(f).Length);
            Say($"  file server {server}: {bytes:N0} bytes");
        }

        Step("3. A reader waits while a writer holds the file");
        var writer = await alice.OpenAsync("report.bin", PfsOpenMode.Write);
        Say("alice opened the file for writing (exclusive).");
        var bobOpening = bob.OpenAsync("report.bin", PfsOpenMode.Read);
        var finished = await Task.WhenAny(bobOpening, Task.Delay(500));
        Say(finished == bobOpening
            ? "bob's open went through at once (unexpected!)."
            : "bob asked to read; half a second later he is still waiting, as he should: a writer excludes readers.");
        await writer.WriteAsync(Enumerable.Repeat((byte)0xAB, Block).ToArray(), 5 * Block);
        await writer.WriteAsync(Enumerable.Repeat((byte)0xCD, Block).ToArray(), 700 * Block);
        Say("alice changed blocks 5 and 700 and closes the file...");
        await writer.CloseAsync();
        await using (var reader = await bobOpening.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            var buffer = new byte[Block];
            await reader.ReadAsync(buffer, 5 * Block);
            Say($"...and bob's open returned. He reads block 5 and sees 0x{buffer[0]:X2}, alice's new byte.");
            var whole = new byte[data.Length];
            await reader.ReadAsync(whole, 0);
        }

        Step("4. Block-level invalidation");
        await using (var reader = await bob.OpenAsync("report.bin", PfsOpenMode.Read))
        {
            await reader.ReadAsync(new byte[128 * Block], 1920 * Block);
        }

        var before = bob.Stats;
        Say($"bob read blocks 1920-2047, so his 128-block cache holds exactly those. Counters: {Describe(before)}");
        await using (var file = await alice.OpenAsync("report.bin", PfsOpenMode.Write))
        {
            await file.WriteAsync(new byte[] { 1, 2, 3 }, 2000 * Block);
            await file.WriteAsync(new byte[] { 4, 5, 6 }, 2040 * Block);
        }

        Say("alice rewrote a few bytes in blocks 2000 and 2040 and closed. Before her lock was released, the metadata " +
            "server told bob exactly which blocks changed.");
        await using (var reader = await bob.OpenAsync("report.bin", PfsOpenMode.Read))
        {
            var tail = new byte[128 * Block];
            await reader.ReadAsync(tail, 1920 * Block);
            var after = bob.Stats;
            Say($"bob dropped {after.Invalidations - before.Invalidations} blocks; reading blocks 1920-2047 again found " +
                $"{after.ReadHits - before.ReadHits} of 128 in his cache, and fetched only the 2 that changed.");
            Say($"Block 2000 now starts with {tail[(2000 - 1920) * Block]}, {tail[((2000 - 1920) * Block) + 1]}, {tail[((2000 - 1920) * Block) + 2]}.");
        }

        Step("5. The cache counters");
        Say($"alice: {Describe(alice.Stats)}");
        Say($"bob:   {Describe(bob.Stats)}");
        Say("They count blocks: hits found in the cache, evictions pushed out by LRU pressure (dirty ones written back),");
        Say("invalidations dropped because another client's writer changed them, and write-backs at close.");

        Step("6. A round trip, checked by hash");
        await using (var file = await bob.OpenAsync("report.bin", PfsOpenMode.Read))
        {
            var back = new byte[data.Length];
            await file.ReadAsync(back, 0);
            data.AsSpan(5 * Block, Block).Fill(0xAB);
            data.AsSpan(700 * Block, Block).Fill(0xCD);
            new byte[] { 1, 2, 3 }.CopyTo(data, 2000 * Block);
            new byte[] { 4, 5, 6 }.CopyTo(data, 2040 * Block);
            var same = SHA256.HashData(back).SequenceEqual(SHA256.HashData(data));
            Say(same ? "bob's copy matches every byte alice wrote." : "MISMATCH: bob's copy differs from what alice wrote!");
            if (!same)
            {
                return 1;
            }
        }

        await alice.DeleteAsync("report.bin");
        Say("\nalice deleted the file; its blocks are gone from all three servers. Done.");
        return 0;
    }

    private static string Describe(PfsCacheStats s) =>
        $"read hits {s.ReadHits}, write hits {s.WriteHits}, evictions {s.Evictions}, write-backs {s.Writebacks}, " +
        $"invalidations {s.Invalidations}, close write-backs {s.CloseWritebacks}, other drops {s.CloseEvictions}";

    private static void Step(string title) => Console.WriteLine($"\n== {title} ==");

    private static void Say(string line) => Console.WriteLine(line);
}
