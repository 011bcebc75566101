using System.Diagnostics;
using Grpc.Core;
using Pfs.Client;
using Pfs.Client.Diagnostics;
using Pfs.FileServer.Storage.Staging;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Cli;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>
/// Repair on real file-server processes: a server that missed writes while down, and one that came back
/// with an emptied data directory, are rebuilt, proven by killing M other servers and reading every byte.
/// </summary>
public sealed class RepairTests(ITestOutputHelper output) : ErasureProcessTestBase("pfs-repair-")
{
    [Fact]
    public async Task AServerThatMissedWritesWhileDownIsRebuiltByARepair()
    {
        const string Name = "missed";
        var data = TestData.Bytes((5 * 1024 * 1024) + 12345, seed: 21);
        await using var client = await Cluster.ConnectAsync("repairer");
        await client.CreateAsync(Name, Layout);
        await Cluster.KillFileServerAsync(2);
        await using (var file = await client.OpenAsync(Name, PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        Assert.Equal([2], (await client.StatAsync(Name)).StalePositions);
        await Cluster.StartFileServerAsync(2);

        var report = await client.RepairAsync().WaitAsync(Timeout);

        Assert.Empty(report.Failures);
        Assert.Equal(1, report.FilesRepaired);
        var stripes = (data.Length + ((long)K * Block) - 1) / ((long)K * Block);
        Assert.Equal(stripes * Block, report.BytesRebuilt);
        Assert.False((await client.StatAsync(Name)).IsDegraded);
        var status = await client.GetClusterStatusAsync();
        Assert.Equal(0, status.DegradedFiles);
        Assert.Equal((1L, 1L), (status.RepairedPositions, status.RepairedFiles));
        Assert.NotNull(status.LastRepair);
        var stats = await CliRunner.RunRawAsync(["--meta", Cluster.MetaAddress.ToString(), "stats"]);
        Assert.Contains("repaired:      1 stale position of 1 file since the metadata server started", stats.Stdout, StringComparison.Ordinal);
        // Full redundancy: any M others may go, and the repaired server's shards make up the K.
        await Cluster.KillFileServerAsync(0);
        await Cluster.KillFileServerAsync(5);
        Assert.Equal(data, await ReadAllAsync(Name, "after-repair"));
    }

    [Fact]
    public async Task APassWithAFileServerDownNamesItForEveryFileThatNeedsItAndWritesNothingToIt()
    {
        // Arrange: three files written while server 2 was down, so position 2 of each is stale; it stays down
        const int Down = 2;
        string[] names = ["down-a", "down-b", "down-c"];
        var data = names.Select((_, i) => TestData.Bytes((300 * 1024) + i, seed: 60 + i)).ToArray();
        await using var client = await Cluster.ConnectAsync("repairer");
        await Cluster.KillFileServerAsync(Down);
        for (var i = 0; i < names.Length; i++)
        {
            await client.CreateAsync(names[i], Layout);
            await using var file = await client.OpenAsync(names[i], PfsOpenMode.Write).WaitAsync(Timeout);
            await file.WriteAsync(data[i], 0).AsTask().WaitAsync(Timeout);
        }

        var downAddress = (await client.GetLayoutAsync(names[0])).Positions[Down];
        var writesToTheDownServer = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PfsTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity =>
            {
                if (activity.OperationName == "pfs.fileserver.write" && Equals(activity.GetTagItem("pfs.server.address"), downAddress))
                {
                    Interlocked.Increment(ref writesToTheDownServer);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        // Act: a pass with the server down, through the library and through the tool, then one with it back
        var whileDown = await client.RepairAsync().WaitAsync(Timeout);
        var tool = await CliRunner.RunRawAsync(["--meta", Cluster.MetaAddress.ToString(), "repair", "--wait"]);
        var writesWhileDown = Volatile.Read(ref writesToTheDownServer);
        await Cluster.StartFileServerAsync(Down);
        var whenBack = await client.RepairAsync().WaitAsync(Timeout);

        // Assert: every file is named with the server and why (by the library and by `pfs repair --wait`, which gives up
        // after three passes that repair nothing), none of their writes waited on it; once it is back, the next pass asks
        // again and repairs them all
        Assert.Equal(0, whileDown.FilesRepaired);
        Assert.Equal(names, whileDown.Failures.Select(failure => failure.Name).Order());
        Assert.All(whileDown.Failures, failure => Assert.Equal(
            $"file server {downAddress} refused the connection (is it running, and on that port?); its shards are rebuilt by a pass once it answers",
            failure.Reason));
        Assert.Equal(0, writesWhileDown);
        output.WriteLine(tool.ToString());
        Assert.Equal(1, tool.ExitCode);
        Assert.All(names, name => Assert.Contains($"pfs: cannot repair '{name}'", tool.Stderr, StringComparison.Ordinal));
        Assert.Contains($"file server {downAddress} refused the connection", tool.Stderr, StringComparison.Ordinal);
        Assert.Contains("3 files could not be repaired", tool.Stderr, StringComparison.Ordinal);
        Assert.Empty(whenBack.Failures);
        Assert.Equal(names.Length, whenBack.FilesRepaired);
        for (var i = 0; i < names.Length; i++)
        {
            Assert.False((await client.StatAsync(names[i])).IsDegraded);
        }
    }

    [Fact]
    public async Task AnEmptiedDataDirectoryIsNoticedAndPfsRepairWaitRestoresFullRedundancy()
    {
        // The metadata server knows every server's identity before anything is lost.
        await Wait.UntilAsync(() => Cluster.FileServerPorts.All(port =>
            Cluster.Meta!.Output.Contains($"127.0.0.1:{port} identity confirmed", StringComparison.Ordinal)),
            "the metadata server has read every file server's identity", Timeout);
        string[] names = ["wiped-a", "wiped-b"];
        var data = names.Select((_, i) => TestData.Bytes((3 * 1024 * 1024) + (i * 777), seed: 30 + i)).ToArray();
        await using (var client = await Cluster.ConnectAsync("writer"))
        {
            for (var i = 0; i < names.Length; i++)
            {
                await client.CreateAsync(names[i], Layout);
                await using var file = await client.OpenAsync(names[i], PfsOpenMode.Write).WaitAsync(Timeout);
                await file.WriteAsync(data[i], 0).AsTask().WaitAsync(Timeout);
            }

            // The server loses its disk: killed, data directory emptied, started again.
            await Cluster.KillFileServerAsync(3);
            Directory.Delete(Cluster.DataDirectories[3], recursive: true);
            await Cluster.StartFileServerAsync(3);
            await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).DegradedFiles == names.Length,
                "the metadata server notices the emptied server", Timeout);
            foreach (var name in names)
            {
                Assert.Equal([3], (await client.StatAsync(name)).StalePositions);
            }
        }

        var result = await CliRunner.RunRawAsync(["--meta", Cluster.MetaAddress.ToString(), "repair", "--wait"]);

        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("every file is fully redundant", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("repairing 'wiped-a'", result.Stdout, StringComparison.Ordinal);
        await Cluster.KillFileServerAsync(1);
        await Cluster.KillFileServerAsync(4);
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(data[i], await ReadAllAsync(names[i], $"reader-{i}"));
        }
    }

    [Fact]
    public Task AWriteThatAFileServerDroppedBetweenTheClosesSyncAndItsCommitIsMarkedLostNotReadAsAHole() =>
        DropBetweenSyncAndCommitAsync("dropped-before-commit", crashMidDrop: false);

    [Fact]
    public Task AFileServerKilledInTheMiddleOfThatDropFinishesItAtItsNextStartAndTheCommitIsStillRefused() =>
        DropBetweenSyncAndCommitAsync("crashed-mid-drop", crashMidDrop: true);

    // A writer of a file without parity has its blocks staged on 4 servers. The only moment a stage can go unnoticed is
    // after the close's sync and before the metadata server's commit: the metadata server is held there (stopped), and a
    // call with a newer epoch that does not name the writer's epoch as committed drops the stage on one server, as a lost
    // commit would let it. With `crashMidDrop` that server is SIGKILLed by its test crash point once the drop's marks are
    // written, before the stage is deleted, and started again before the commit comes.
    private async Task DropBetweenSyncAndCommitAsync(string name, bool crashMidDrop)
    {
        // Arrange
        const int Position = 2;
        if (crashMidDrop)
        {
            await Cluster.KillFileServerAsync(Position);
            await Cluster.StartFileServerAsync(Position, StagedObjects.DropMarked);
        }

        var data = TestData.Bytes(8 * Block, seed: 47);
        await using var client = await Cluster.ConnectAsync("writer");
        await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 4, BlockSize = Block });
        var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
        await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        var layout = file.Layout;

        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PfsTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "pfs.fileserver.sync" && Equals(activity.GetTagItem("pfs.file"), name)
                    && Equals(activity.GetTagItem("pfs.server.index"), Position) && activity.Status != ActivityStatusCode.Error)
                {
                    synced.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        Cluster.PauseMeta(paused: true);
        Task closing;
        try
        {
            closing = file.DisposeAsync().AsTask();
            await synced.Task.WaitAsync(Timeout);
            using var channel = PfsChannel.Create(new Uri(layout.Servers[Position].Address), new PfsChannelOptions());
            var rogue = TestCaps.Signer.Sign(layout.ObjectId.Name, layout.ObjectId.Generation, write: false, layout.Capability!.Epoch + 1, "rogue");
            var read = new FileService.FileServiceClient(channel).ReadBytesAsync(new ReadBytesRequest
            {
                Object = layout.ObjectId, Capability = rogue, Ranges = { new ByteRange { Offset = 0, Length = Block } },
            }).ResponseAsync.WaitAsync(Timeout);
            if (crashMidDrop)
            {
                await Assert.ThrowsAsync<RpcException>(() => read);
                await Cluster.FileServer(Position).WaitForExitAsync(Timeout);
                Assert.Contains($"Test crash point '{StagedObjects.DropMarked}' reached", Cluster.FileServer(Position).Output, StringComparison.Ordinal);
                await Cluster.StartFileServerAsync(Position);
            }
            else
            {
                await read;
            }
        }
        finally
        {
            Cluster.PauseMeta(paused: false);
        }

        // Act: the close goes on; its commit finds that server's part gone
        await closing.WaitAsync(Timeout);
        var info = await client.StatAsync(name);
        var error = await Assert.ThrowsAsync<PfsException>(() => ReadAllAsync(name, "reader"));
        await using var reader = await Cluster.ConnectAsync("block-reader");
        await using var readBack = await reader.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var other = new byte[Block];
        await readBack.ReadAsync(other, (Position + 1) * Block).AsTask().WaitAsync(Timeout);

        // Assert: said at the commit and at every read of it, never zeros; the other positions read right. A server
        // killed in the middle of the drop finished it at its start, and refused the commit all the same.
        Assert.Contains($"found its staged writes dropped there", Cluster.Meta!.Output, StringComparison.Ordinal);
        Assert.Equal([Position], info.StalePositions);
        Assert.True(info.IsDegraded);
        Assert.Equal(PfsErrorCode.DataLoss, error.Code);
        Assert.Contains($"byte offset {Position * Block} was lost with file server {layout.Servers[Position].Address}", error.Message, StringComparison.Ordinal);
        Assert.Equal(data.AsSpan((Position + 1) * Block, Block).ToArray(), other);
        if (crashMidDrop)
        {
            Assert.Contains($"Finished dropping the staged writes of {layout.ObjectId.Name}/{layout.ObjectId.Generation} epoch {layout.Capability!.Epoch}",
                Cluster.FileServer(Position).Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AFileWithoutParityWhoseServerCameBackEmptyFailsItsLostReadsAndRepairNamesItUntilItIsWrittenAnew()
    {
        // Arrange: a file over 4 servers without parity, and a 3-byte one whose only block is on one server
        await Wait.UntilAsync(() => Cluster.FileServerPorts.All(port =>
            Cluster.Meta!.Output.Contains($"127.0.0.1:{port} identity confirmed", StringComparison.Ordinal)),
            "the metadata server has read every file server's identity", Timeout);
        var plain = new PfsCreateOptions { StripeWidth = 4, BlockSize = Block };
        var data = TestData.Bytes(6 * Block, seed: 41);
        await using var client = await Cluster.ConnectAsync("writer");
        await client.CreateAsync("plain", plain);
        await using (var file = await client.OpenAsync("plain", PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        await client.CreateAsync("tiny", plain);
        await using (var file = await client.OpenAsync("tiny", PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync("abc"u8.ToArray(), 0).AsTask().WaitAsync(Timeout);
        }

        // A position of 'plain' whose server does not hold 'tiny'.
        var layout = await client.GetLayoutAsync("plain");
        var tinyServer = (await client.GetLayoutAsync("tiny")).Servers[0];
        var position = Enumerable.Range(0, 4).First(p => layout.Servers[p] != tinyServer);
        var server = Cluster.FileServerPorts.ToList().FindIndex(port => layout.Servers[position].EndsWith($":{port}", StringComparison.Ordinal));

        // A reader that opened the file before the loss, and has read nothing of it yet.
        await using var early = await Cluster.ConnectAsync("early-reader");
        var earlyFile = await early.OpenAsync("plain", PfsOpenMode.Read).WaitAsync(Timeout);

        // Act: that server loses its disk
        await Cluster.KillFileServerAsync(server);
        Directory.Delete(Cluster.DataDirectories[server], recursive: true);
        await Cluster.StartFileServerAsync(server);
        var lost = $"127.0.0.1:{Cluster.FileServerPorts[server]} came back without its data";
        await Wait.UntilAsync(() => Cluster.Meta!.Output.Contains(lost, StringComparison.Ordinal), "the metadata server notices the emptied server", Timeout);
        await Wait.UntilAsync(async () => (await client.StatAsync("plain")).IsDegraded, "the lost position is marked", Timeout);
        var error = await Assert.ThrowsAsync<PfsException>(() => ReadAllAsync("plain", "reader"));
        await Wait.UntilAsync(() => !earlyFile.Layout.IsUsable(position), "the early reader hears that the position is stale", Timeout);
        var earlyError = await Assert.ThrowsAsync<PfsException>(async () => await earlyFile.ReadAsync(new byte[Block], position * Block).AsTask().WaitAsync(Timeout));
        var earlyOther = new byte[Block];
        await earlyFile.ReadAsync(earlyOther, ((position + 1) % 4) * Block).AsTask().WaitAsync(Timeout);
        await earlyFile.DisposeAsync();
        var repair = await CliRunner.RunRawAsync(["--meta", Cluster.MetaAddress.ToString(), "repair", "--wait"]);

        // Assert: the lost blocks are an error, not zeros, and only the file that had blocks there is named
        output.WriteLine(repair.ToString());
        Assert.Contains($"{lost}: 0 shards of files with parity are marked stale for repair, 1 files without parity lost bytes there", Cluster.Meta!.Output, StringComparison.Ordinal);
        Assert.Equal(PfsErrorCode.DataLoss, error.Code);
        Assert.Contains($"byte offset {position * Block} was lost with file server {layout.Servers[position]}", error.Message, StringComparison.Ordinal);
        Assert.Equal(PfsErrorCode.DataLoss, earlyError.Code);
        Assert.Equal(data.AsSpan(((position + 1) % 4) * Block, Block).ToArray(), earlyOther);
        Assert.Equal([position], (await client.StatAsync("plain")).StalePositions);
        Assert.False((await client.StatAsync("tiny")).IsDegraded);
        Assert.Equal("abc"u8.ToArray(), await ReadAllAsync("tiny", "tiny-reader"));
        Assert.Equal(1, repair.ExitCode);
        Assert.Contains("cannot repair 'plain'", repair.Stderr, StringComparison.Ordinal);
        Assert.Contains("no parity to rebuild them from", repair.Stderr, StringComparison.Ordinal);

        // Written anew from nothing (what O_TRUNC does), the file is whole again.
        var fresh = TestData.Bytes(5 * Block, seed: 42);
        await using (var file = await client.OpenAsync("plain", PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.SetLengthAsync(0).WaitAsync(Timeout);
            await file.WriteAsync(fresh, 0).AsTask().WaitAsync(Timeout);
        }

        Assert.False((await client.StatAsync("plain")).IsDegraded);
        Assert.Equal(fresh, await ReadAllAsync("plain", "reader-after"));
    }
}
