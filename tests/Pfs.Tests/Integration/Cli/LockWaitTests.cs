using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary>
/// A command queued behind another client's lock says so on stderr instead of sitting silent, then
/// finishes once the lock is free.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(ClusterCollection.Name)]
public sealed class LockWaitTests(ClusterFixture fixture) : IDisposable
{
    private readonly LocalFiles _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task PutForceOverAFileAnotherClientReadsSaysItWaitsAndReplacesItOnceTheReaderCloses()
    {
        var name = fixture.UniqueName("held-put");
        await WriteAsync(name, TestData.Bytes(5000, seed: 1));
        var replacement = TestData.Bytes(7000, seed: 2);
        var local = _local.Write("replacement", replacement);
        await using var holder = await fixture.Cluster.ConnectAsync();
        var reader = await holder.OpenAsync(name, PfsOpenMode.Read);

        var result = await RunHeldAsync(() => reader.DisposeAsync(), "put", "-f", local, name);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([$"pfs: waiting for '{name}': another client has it open (Ctrl-C to give up)"], result.StderrLines);
        Assert.Equal(replacement, await ReadAsync(name));
    }

    [Fact]
    public async Task CatAndRmOfAFileAnotherClientWritesSayTheyWaitAndSeeTheWritersBytes()
    {
        var name = fixture.UniqueName("held-cat");
        var first = TestData.Bytes(3000, seed: 3);
        var second = TestData.Bytes(4000, seed: 4);
        await WriteAsync(name, first);
        await using var holder = await fixture.Cluster.ConnectAsync();
        var writer = await holder.OpenAsync(name, PfsOpenMode.Write);
        await writer.WriteAsync(second, 0);

        var catResult = await RunHeldAsync(async () => await writer.CloseAsync(), "cat", name);
        var reader = await holder.OpenAsync(name, PfsOpenMode.Read);
        var rmResult = await RunHeldAsync(() => reader.DisposeAsync(), "rm", name);

        Assert.True(catResult.ExitCode == 0, catResult.ToString());
        Assert.Equal(second, catResult.StdoutBytes);
        Assert.Single(catResult.StderrLines);
        Assert.True(rmResult.ExitCode == 0, rmResult.ToString());
        Assert.Single(rmResult.StderrLines);
        await using var client = await fixture.Cluster.ConnectAsync();
        var gone = await Assert.ThrowsAsync<PfsException>(() => client.StatAsync(name));
        Assert.Equal(PfsErrorCode.NotFound, gone.Code);
    }

    /// <summary>
    /// Runs <c>pfs args...</c> against a file another client holds: waits for the command to say it waits, checks
    /// it has not finished, lets the holder go, and returns what the command did then.
    /// </summary>
    private async Task<CliResult> RunHeldAsync(Func<ValueTask> release, params string[] args)
    {
        var stderr = new LiveText();
        var run = CliRunner.RunAsync(fixture.Cluster, stderr, args);
        await Wait.UntilAsync(() => stderr.ToString().Contains("waiting for"), $"pfs {args[0]} says it waits for the other client");
        Assert.False(run.IsCompleted, $"pfs {args[0]} finished while the other client still had the file open");
        await release();
        return await run;
    }

    private async Task WriteAsync(string name, byte[] contents)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, BlockSize = 4096 });
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(contents, 0);
    }

    private async Task<byte[]> ReadAsync(string name)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        var stat = await file.StatAsync();
        var buffer = new byte[stat.Size];
        var read = await file.ReadAsync(buffer, 0);
        Assert.Equal(buffer.Length, read);
        return buffer;
    }
}
