using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Faults;

/// <summary>The metadata server as a real process, SIGKILLed and restarted from Redis (Garnet, also a process).</summary>
public sealed partial class ProcessFaultTests
{
    // The clients' operation timeout, and the stated deadline for every answer while the server
    // is gone: a waiting open or a close must have failed clearly by then, never hang.
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AMetaServerProcessKilledWhileAWriterHoldsAndAReaderWaitsComesBackFromRedisWithNothingHalfDone()
    {
        var garnet = new GarnetProcess();
        await garnet.InitializeAsync();
        var keyFile = Path.Combine(_root, "cluster.key");
        await File.WriteAllTextAsync(keyFile, TestCaps.Key);
        var fileServers = new List<ChildProcess>();
        ChildProcess? meta = null;
        try
        {
            var fileServerPorts = new[] { FreePort(), FreePort() };
            for (var i = 0; i < fileServerPorts.Length; i++)
            {
                fileServers.Add(StartFileServer(fileServerPorts[i], Path.Combine(_root, $"fs{i}"), keyFile));
                await fileServers[i].WaitForAsync("listening", Timeout);
            }

            var metaPort = FreePort();
            var servers = string.Join(',', fileServerPorts.Select(p => $"127.0.0.1:{p}"));
            meta = StartMetaServer(metaPort, servers, garnet.ConnectionString, keyFile);
            await meta.WaitForAsync("Now listening on", Timeout);
            var address = new Uri($"http://127.0.0.1:{metaPort}");
            await using var writerClient = await ConnectAsync("writer", address);
            await using var readerClient = await ConnectAsync("reader", address);

            // A committed file, striped over both file servers.
            var name = "held";
            var committed = TestData.Bytes(40 * 512, seed: 21);
            await writerClient.CreateAsync(name, stripeWidth: 2);
            await using (var file = await writerClient.OpenAsync(name, PfsOpenMode.Write))
            {
                await file.WriteAsync(committed, 0);
            }

            // A writer holds it with 64 dirty blocks over all of it (none written back yet), and a reader waits.
            var writer = await writerClient.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
            await writer.WriteAsync(TestData.Bytes(64 * 512, seed: 22), 0);
            Assert.Equal(0, writerClient.Stats.Writebacks);
            var waiting = readerClient.OpenAsync(name, PfsOpenMode.Read);
            await Wait.UntilAsync(async () => (await writerClient.GetClusterStatusAsync()).LocksWaiting == 1, "the reader waits for the lock", Timeout);
            Assert.False(waiting.IsCompleted, "the writer's lock must keep the reader waiting");

            var clock = Stopwatch.StartNew();
            await meta.KillAsync();
            meta.Dispose();
            meta = null;

            // The waiting reader hears that the server is gone: a clear error, well within the deadline.
            var waitError = await Assert.ThrowsAsync<PfsException>(() => waiting.WaitAsync(ClientTimeout));
            var readerFailedAfter = clock.Elapsed;
            Assert.Equal(PfsErrorCode.Unavailable, waitError.Code);

            // The writer closes while there is no metadata server: nothing of its may reach the file
            // servers before it is known whether its lock still exists (here: it does not).
            await Wait.UntilAsync(() => !writerClient.IsSubscribed, "the writer's client sees its notice stream break", ClientTimeout);
            var closeStartedAfter = clock.Elapsed;
            var closing = writer.CloseAsync().AsTask();

            meta = StartMetaServer(metaPort, servers, garnet.ConnectionString, keyFile);
            await meta.WaitForAsync("Now listening on", Timeout);
            var listeningAfter = clock.Elapsed;

            // Closed once the client hears the new server's Hello; Unavailable if that took longer than its timeout.
            var closeError = await Assert.ThrowsAsync<PfsException>(() => closing.WaitAsync(Timeout));
            var closeFailedAfter = clock.Elapsed;
            Assert.True(closeError.Code is PfsErrorCode.Closed or PfsErrorCode.Unavailable, $"unexpected close failure: {closeError}");
            Assert.True(closeFailedAfter - closeStartedAfter < ClientTimeout + TimeSpan.FromSeconds(2),
                $"the close took {closeFailedAfter - closeStartedAfter}, beyond its timeout of {ClientTimeout}");
            await Wait.UntilAsync(() => writerClient.SessionCount >= 2 && readerClient.SessionCount >= 2, "both clients resubscribe", Timeout);
            var resubscribedAfter = clock.Elapsed;
            if (closeError.Code == PfsErrorCode.Unavailable)
            {
                Assert.Equal(PfsErrorCode.Closed, (await Assert.ThrowsAsync<PfsException>(() => writer.CloseAsync().AsTask().WaitAsync(Timeout))).Code);
            }

            // The old handle stays dead: no silent writes, and closing again is harmless.
            Assert.Equal(PfsErrorCode.Closed, (await Assert.ThrowsAsync<PfsException>(() => writer.WriteAsync(new byte[1], 0).AsTask())).Code);
            await writer.CloseAsync();

            // Nothing half done: no lock or open survived, and the registry came back from Redis.
            var status = await readerClient.GetClusterStatusAsync().WaitAsync(Timeout);
            Assert.Equal((0, 0, 0, 0), (status.LocksHeld, status.LocksWaiting, status.OpenForRead, status.OpenForWrite));
            Assert.Equal((1L, (long)committed.Length), (status.FileCount, status.TotalBytes));

            // The committed bytes, and none of the writer's: byte for byte, through the reader that waited.
            await using (var file = await readerClient.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout))
            {
                Assert.Equal(committed.Length, (await file.StatAsync()).Size);
                Assert.Equal(Convert.ToHexString(SHA256.HashData(committed)), Convert.ToHexString(SHA256.HashData(await TestData.ReadAllAsync(file, committed.Length))));
            }

            var recoveredAfter = clock.Elapsed;

            // Both clients carry on by themselves: the old writer's client writes and closes, the
            // reader and a newcomer read the new bytes.
            var next = TestData.Bytes(48 * 512, seed: 23);
            await using (var file = await writerClient.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
            {
                await file.WriteAsync(next, 0);
            }

            await using var newcomer = await ConnectAsync("newcomer", address);
            foreach (var client in new[] { readerClient, newcomer })
            {
                await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
                Assert.Equal(next, await TestData.ReadAllAsync(file, next.Length));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"after the kill: waiting reader failed {readerFailedAfter.TotalMilliseconds:0} ms, new server listening {listeningAfter.TotalMilliseconds:0} ms, " +
                $"old writer's close failed ({closeError.Code}) {closeFailedAfter.TotalMilliseconds:0} ms, both clients resubscribed {resubscribedAfter.TotalMilliseconds:0} ms, " +
                $"committed file read back {recoveredAfter.TotalMilliseconds:0} ms"));
        }
        finally
        {
            meta?.Dispose();
            fileServers.ForEach(server => server.Dispose());
            await garnet.DisposeAsync();
        }
    }

    private static ChildProcess StartMetaServer(int port, string fileServers, string redis, string keyFile) =>
        ChildProcess.Start("Pfs.MetaServer", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--file-servers", fileServers, "--redis", redis, "--cluster-key-file", keyFile, "--lease-seconds", "5");

    private static Task<PfsClient> ConnectAsync(string clientId, Uri address) => PfsClient.ConnectAsync(new PfsClientOptions
    {
        ClientId = clientId,
        MetaServer = address,
        OperationTimeout = ClientTimeout,
    });
}
