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

        var stderr = new LiveText();
        var put = CliRunner.RunAsync(fixture.Cluster, stderr, "put", "-f", local, name);
        await Wait.UntilAsync(() => stderr.ToString().Contains("waiting for"), "put says it waits for the reader");
        var whileHeld = put.IsCompleted;
        await reader.DisposeAsync();
        var result = await put;

        Assert.False(whileHeld, "the put finished while the reader still had the file open");
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

        var catErrors = new LiveText();
        var cat = CliRunner.RunAsync(fixture.Cluster, catErrors, "cat", name);
        await Wait.UntilAsync(() => catErrors.ToString().Contains("waiting for"), "cat says it waits for the writer");
        var catWhileHeld = cat.IsCompleted;
        await writer.CloseAsync();
        var catResult = await cat;

        var reader = await holder.OpenAsync(name, PfsOpenMode.Read);
        var rmErrors = new LiveText();
        var rm = CliRunner.RunAsync(fixture.Cluster, rmErrors, "rm", name);
        await Wait.UntilAsync(() => rmErrors.ToString().Contains("waiting for"), "rm says it waits for the reader");
        var rmWhileHeld = rm.IsCompleted;
        await reader.DisposeAsync();
        var rmResult = await rm;

        Assert.False(catWhileHeld, "cat finished while the writer still had the file open");
        Assert.True(catResult.ExitCode == 0, catResult.ToString());
        Assert.Equal(second, catResult.StdoutBytes);
        Assert.Single(catResult.StderrLines);
        Assert.False(rmWhileHeld, "rm finished while the reader still had the file open");
        Assert.True(rmResult.ExitCode == 0, rmResult.ToString());
        Assert.Single(rmResult.StderrLines);
        await using var client = await fixture.Cluster.ConnectAsync();
        var gone = await Assert.ThrowsAsync<PfsException>(() => client.StatAsync(name));
        Assert.Equal(PfsErrorCode.NotFound, gone.Code);
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
