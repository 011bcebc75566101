using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.MetaServer;
using Pfs.ServiceDefaults;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Faults;

/// <summary>Real server and client processes, killed with SIGKILL at the worst moments.</summary>
public sealed partial class ProcessFaultTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // How long after a lease runs out its lock may pass on, on a busy machine: well under the
    // default lease (10 s), so a lease that was not applied shows.
    private static readonly TimeSpan LeaseSlack = TimeSpan.FromSeconds(5);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-faults-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space; a leftover is harmless.
        }
    }

    [Fact]
    public async Task AClientKilledWhileHoldingAWriteLockLosesItWithinTheLeaseAndItsUnflushedBytesAreGone()
    {
        // Arrange: a holder whose unclosed write overflowed its cache, so its bytes sit staged on the
        // file servers (not just in the memory that dies with it), and a writer waiting behind it.
        var lease = TimeSpan.FromSeconds(1);
        const int HeldBytes = 256 * 1024;
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2, leaseTimeout: lease);
        await using var client = await cluster.ConnectAsync();
        await client.CreateAsync("held", stripeWidth: 2);
        using var holder = StartHolder(cluster, "held", HeldBytes);
        await holder.WaitForAsync("holding", Timeout);
        var writebacks = HolderWritebacks(holder);
        Assert.True(writebacks >= 256, $"the holder's bytes must have reached the file servers before it dies, not {writebacks} blocks");

        var opening = client.OpenAsync("held", PfsOpenMode.Write);
        await MetaProbe.WaitForWaitersAsync(cluster, "held", 1);
        Assert.False(opening.IsCompleted, "the holder's lock must keep the writer waiting while it lives");

        // Act: kill the holder; its lease (started when its notice stream broke) runs out.
        var clock = Stopwatch.StartNew();
        await holder.KillAsync();
        await using var file = await opening.WaitAsync(Timeout);
        var lostAfter = clock.Elapsed;

        // Assert: lost by the lease, not before it (a tolerance for timer granularity) and not long after.
        output.WriteLine($"lock passed on {lostAfter.TotalMilliseconds:0} ms after the kill (lease {lease.TotalMilliseconds:0} ms)");
        Assert.True(lostAfter >= lease - TimeSpan.FromMilliseconds(50), $"the lock passed on {lostAfter} after the kill, before the lease of {lease} ran out");
        Assert.True(lostAfter < lease + LeaseSlack, $"the lock passed on {lostAfter} after the kill: not within the lease of {lease}");

        // None of the holder's staged bytes became the file's: it is empty, and once the new writer
        // makes it as long, everything but the new writer's bytes reads as zeros, not 0xBB.
        Assert.Equal(0, (await file.StatAsync()).Size);
        Assert.Equal(0, await file.ReadAsync(new byte[HeldBytes], 0));
        var tail = "after the crash"u8.ToArray();
        await file.WriteAsync(tail, HeldBytes - tail.Length);
        await file.CloseAsync();
        await using var fresh = await cluster.ConnectAsync();
        await using var reader = await fresh.OpenAsync("held", PfsOpenMode.Read).WaitAsync(Timeout);
        Assert.Equal(HeldBytes, (await reader.StatAsync()).Size);
        byte[] expected = [.. new byte[HeldBytes - tail.Length], .. tail];
        Assert.Equal(expected, await TestData.ReadAllAsync(reader, HeldBytes));
    }

    [Fact]
    public async Task AWriterKilledAfterItsCacheSpilledToTheServersLeavesTheFileExactlyAsCommitted()
    {
        // Arrange: a committed file, then a writer that overwrites all of it and more. Its 512-block
        // write overflows the 128-block cache, so most blocks reach the file servers before it dies.
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3, leaseTimeout: TimeSpan.FromSeconds(1));
        await using var client = await cluster.ConnectAsync();
        await client.CreateAsync("spilled", stripeWidth: 3);
        var committed = TestData.Bytes(64 * 1024, seed: 5);
        await using (var first = await client.OpenAsync("spilled", PfsOpenMode.Write))
        {
            await first.WriteAsync(committed, 0);
        }

        using var holder = StartHolder(cluster, "spilled", 256 * 1024);
        await holder.WaitForAsync("holding", Timeout);
        var writebacks = HolderWritebacks(holder);
        Assert.True(writebacks >= 256, $"the holder must have written blocks back to the servers before it dies, not {writebacks}");

        // Act: kill it; the lease runs out and a reader (a fresh client, nothing cached) gets the file.
        await holder.KillAsync();
        await using var fresh = await cluster.ConnectAsync();
        await using var reader = await fresh.OpenAsync("spilled", PfsOpenMode.Read).WaitAsync(Timeout);
        var seen = new byte[256 * 1024];
        var read = await reader.ReadAsync(seen, 0);

        // Assert: none of the dead writer's bytes, on any server; the committed bytes all there.
        Assert.Equal(committed.Length, (await reader.StatAsync()).Size);
        Assert.Equal(committed.Length, read);
        Assert.True(committed.AsSpan().SequenceEqual(seen.AsSpan(0, read)), "the file must read exactly as committed");
    }

    [Fact]
    public async Task AFileServerKilledRightAfterACloseOrInTheMiddleOfAWriteKeepsEveryClosedByte()
    {
        var keyFile = Path.Combine(_root, "cluster.key");
        await File.WriteAllTextAsync(keyFile, TestCaps.Key);
        var port = FreePort();
        var dataDir = Path.Combine(_root, "fs0");
        var server = StartFileServer(port, dataDir, keyFile);
        await server.WaitForAsync("listening", Timeout);
        await using var meta = MetaServerApp.Build(new MetaServerOptions
        {
            Port = 0,
            BindAddress = "127.0.0.1",
            FileServers = [$"127.0.0.1:{port}"],
            ClusterKey = TestCaps.Key,
        }, configure: builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await meta.StartAsync();
        try
        {
            await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
            {
                ClientId = "survivor",
                MetaServer = meta.GetListenAddress(),
                // Long enough for a cold, restarted server on a busy machine; no assertion is about time.
                OperationTimeout = TimeSpan.FromSeconds(10),
                // WriteAsync returns only once the servers hold every byte, so the write below is
                // provably still running when the server dies (write-behind would let it return early).
                WriteBehindBytes = 0,
            });
            var committed = TestData.Bytes(3 * 1024 * 1024, seed: 11);
            await client.CreateAsync("committed", 1);
            await using (var file = await client.OpenAsync("committed", PfsOpenMode.Write))
            {
                await file.WriteAsync(committed, 0);
            }

            // Killed right after the close returned: the bytes must already be safe.
            await server.KillAsync();
            server.Dispose();
            server = StartFileServer(port, dataDir, keyFile);
            await server.WaitForAsync("listening", Timeout);
            await using (var file = await client.OpenAsync("committed", PfsOpenMode.Read))
            {
                Assert.Equal(committed, await TestData.ReadAllAsync(file, committed.Length));
            }

            // Killed in the middle of a large write (the server has stored part of it, and the
            // write is still running): the write fails with a clear error, the committed file is
            // untouched, and once the server is back the same client finishes.
            var next = TestData.Bytes(32 * 1024 * 1024, seed: 12);
            await client.CreateAsync("interrupted", 1);
            var writer = await client.OpenAsync("interrupted", PfsOpenMode.Write);
            var stored = StoredBytes(dataDir);
            var writing = writer.WriteAsync(next, 0).AsTask();
            await Wait.UntilAsync(() => writing.IsCompleted || StoredBytes(dataDir) >= stored + (1024 * 1024), "the server has stored part of the write", Timeout);
            Assert.False(writing.IsCompleted, $"the write ended before the server stored 1 MiB of it: {writing.Exception}");
            await server.KillAsync();
            server.Dispose();
            var failure = await Record.ExceptionAsync(() => writing.WaitAsync(Timeout));
            server = StartFileServer(port, dataDir, keyFile);
            await server.WaitForAsync("listening", Timeout);
            // Checked with the server back, so that a failure here is not hidden by the client's
            // dispose failing to close the open writer.
            Assert.True(failure is PfsException { Code: PfsErrorCode.Unavailable },
                $"a write cut off by the server's death must fail as Unavailable, not {failure?.ToString() ?? "succeed"}");

            await writer.WriteAsync(next, 0);
            await writer.CloseAsync();
            await using var fresh = await PfsClient.ConnectAsync(new PfsClientOptions { ClientId = "fresh", MetaServer = meta.GetListenAddress() });
            await using (var file = await fresh.OpenAsync("interrupted", PfsOpenMode.Read))
            {
                Assert.Equal(next, await TestData.ReadAllAsync(file, next.Length));
            }

            await using (var file = await fresh.OpenAsync("committed", PfsOpenMode.Read))
            {
                Assert.Equal(committed, await TestData.ReadAllAsync(file, committed.Length));
            }
        }
        finally
        {
            server.Dispose();
            await meta.StopAsync();
        }
    }

    // A client process that opens NAME for writing, writes BYTES of 0xBB without closing, prints
    // "holding, writebacks=N" and waits to be killed.
    private static ChildProcess StartHolder(PfsCluster cluster, string name, int bytes) =>
        ChildProcess.Start("Pfs.Consistency", "--hold-write", name, "--meta", cluster.MetaServerAddress.ToString(),
            "--bytes", bytes.ToString(CultureInfo.InvariantCulture));

    private static long HolderWritebacks(ChildProcess holder) =>
        long.Parse(holder.Output.Split("writebacks=")[1].Split(Environment.NewLine)[0], CultureInfo.InvariantCulture);

    // Bytes in the files under a file server's data directory (objects, stages, logs alike); a file
    // the server removes while they are counted counts 0.
    private static long StoredBytes(string dataDir)
    {
        long bytes = 0;
        try
        {
            foreach (var file in new DirectoryInfo(dataDir).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try
                {
                    bytes += file.Length;
                }
                catch (FileNotFoundException)
                {
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // A directory removed mid-way: what was counted is a lower bound, enough to wait on.
        }

        return bytes;
    }

    private static ChildProcess StartFileServer(int port, string dataDir, string keyFile) =>
        ChildProcess.Start("Pfs.FileServer", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1", "--data-dir", dataDir, "--cluster-key-file", keyFile);

    private static int FreePort() => TestPorts.Free();
}
