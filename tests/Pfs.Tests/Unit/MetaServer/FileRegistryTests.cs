using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.MetaServer;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class FileRegistryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<FileRegistry> LoadedRegistryAsync(IMetadataStore? store = null, int fileServers = 3)
    {
        var options = new MetaServerOptions
        {
            FileServers = [.. Enumerable.Range(0, fileServers).Select(i => $"fs{i}:5005{i}")],
        };
        var registry = new FileRegistry(store ?? new InMemoryMetadataStore(), options, TimeProvider.System, NullLogger<FileRegistry>.Instance);
        await registry.LoadAsync();
        return registry;
    }

    // The registry throws MetaException; callers get the status the interceptor maps it to.
    private static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call)
    {
        var ex = MetaErrorInterceptor.ToRpcException(await Assert.ThrowsAsync<MetaException>(call));
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }

    [Fact]
    public async Task CreateRegistersAnEmptyFileStripedOverTheFirstServers()
    {
        var registry = await LoadedRegistryAsync();

        var record = await registry.CreateAsync("a.dat", stripeWidth: 2, blockSize: 0);

        Assert.Equal("a.dat", record.Name);
        Assert.NotEqual(0UL, record.FileId);
        Assert.Equal(0, record.Size);
        Assert.Equal(512, record.BlockSize);
        Assert.Equal(["http://fs0:50050", "http://fs1:50051"], record.Servers);
        Assert.Equal(record.Created, record.Modified);
        Assert.Equal(0, record.Created.Ticks % TimeSpan.TicksPerMillisecond);
        Assert.Equal(TimeSpan.Zero, record.Created.Offset);
        Assert.Same(record, registry.Find("a.dat"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4)]
    public async Task CreateRefusesAStripeWidthOutsideOneToTheNumberOfServers(int width)
    {
        var registry = await LoadedRegistryAsync(fileServers: 3);

        var ex = await FailsWith(StatusCode.InvalidArgument, () => registry.CreateAsync("f", width, 0));

        Assert.Contains("stripe width", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Null(registry.Find("f"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(".", "not a valid file name")]
    [InlineData("..", "not a valid file name")]
    [InlineData("a/b", "must not contain")]
    [InlineData("a\\b", "must not contain")]
    [InlineData("a\0b", "must not contain")]
    public async Task CreateRefusesABadNameAndSaysWhy(string name, string reason)
    {
        var registry = await LoadedRegistryAsync();

        var ex = await FailsWith(StatusCode.InvalidArgument, () => registry.CreateAsync(name, 1, 0));

        Assert.Contains(reason, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateRefusesANameOverTwoHundredFiftyFiveBytes()
    {
        var registry = await LoadedRegistryAsync();

        var ex = await FailsWith(StatusCode.InvalidArgument, () => registry.CreateAsync(new string('é', 128), 1, 0));

        Assert.Contains("255", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(256)]
    [InlineData(-512)]
    public async Task CreateRefusesABlockSizeThatIsNotAnAllowedPowerOfTwo(int blockSize)
    {
        var registry = await LoadedRegistryAsync();

        await FailsWith(StatusCode.InvalidArgument, () => registry.CreateAsync("f", 1, blockSize));
    }

    [Fact]
    public async Task CreateOfATakenNameIsAlreadyExists()
    {
        var registry = await LoadedRegistryAsync();
        await registry.CreateAsync("f", 1, 4096);

        await FailsWith(StatusCode.AlreadyExists, () => registry.CreateAsync("f", 1, 0));

        Assert.Equal(4096, registry.Find("f")!.BlockSize);
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneNameHaveExactlyOneWinner()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore { CreateGate = gate.Task };
        var registry = await LoadedRegistryAsync(store);

        // Each counts itself once its CreateAsync has run up to its first wait: the one in the
        // store (held there by the gate), or one waiting for that one.
        var started = 0;
        var creates = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            var create = registry.CreateAsync("same", 1, 0);
            Interlocked.Increment(ref started);
            return create;
        })).ToArray();
        await Wait.UntilAsync(() => Volatile.Read(ref started) == 16 && store.CreateCalls > 0, "all 16 creates are under way, one in the store");
        Assert.Equal(1, store.CreateCalls);
        Assert.DoesNotContain(creates, t => t.IsCompleted);
        gate.SetResult();
        await Task.WhenAll(creates.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(Timeout);

        Assert.Equal(1, creates.Count(t => t.IsCompletedSuccessfully));
        Assert.All(creates.Where(t => !t.IsCompletedSuccessfully),
            t => Assert.Equal(MetaErrorCode.AlreadyExists, Assert.IsType<MetaException>(t.Exception!.InnerException).Code));
        Assert.Equal(1, store.CreateCalls);
    }

    [Fact]
    public async Task AStoreFailureOnCreateLeavesNothingBehind()
    {
        var store = new FlakyMetadataStore { FailCreates = true };
        var registry = await LoadedRegistryAsync(store);

        await FailsWith(StatusCode.Unavailable, () => registry.CreateAsync("f", 1, 0));

        Assert.Null(registry.Find("f"));
        Assert.Empty(registry.List());
        Assert.Empty(await store.LoadAllAsync());
        store.FailCreates = false;
        var record = await registry.CreateAsync("f", 1, 0);
        Assert.Same(record, registry.Find("f"));
    }

    [Fact]
    public async Task AStoreFailureOnUpdateKeepsTheOldRecord()
    {
        var store = new FlakyMetadataStore();
        var registry = await LoadedRegistryAsync(store);
        var created = await registry.CreateAsync("f", 1, 0);
        store.FailUpdates = true;

        await FailsWith(StatusCode.Unavailable, () => registry.CompleteWriteAsync(created, 100));

        Assert.Same(created, registry.Find("f"));
    }

    [Fact]
    public async Task AStoreFailureOnDeleteKeepsTheFile()
    {
        var store = new FlakyMetadataStore();
        var registry = await LoadedRegistryAsync(store);
        var created = await registry.CreateAsync("f", 1, 0);
        store.FailDeletes = true;

        await FailsWith(StatusCode.Unavailable, () => registry.DeleteAsync(created));

        Assert.Same(created, registry.Find("f"));
    }

    [Fact]
    public async Task AWriterCloseGrowsTheSizeBumpsTheVersionAndNeverShrinks()
    {
        var registry = await LoadedRegistryAsync();
        var created = await registry.CreateAsync("f", 1, 0);

        var grown = await registry.CompleteWriteAsync(created, 1000);
        var notShrunk = await registry.CompleteWriteAsync(grown, 10);

        Assert.Equal(1000, grown.Size);
        Assert.Equal(created.Version + 1, grown.Version);
        Assert.True(grown.Modified >= created.Modified);
        Assert.Equal(1000, notShrunk.Size);
        Assert.Equal(created.Version + 2, notShrunk.Version);
        Assert.Same(notShrunk, registry.Find("f"));
    }

    [Fact]
    public async Task ARecreatedNameGetsANewFileId()
    {
        var registry = await LoadedRegistryAsync();
        var first = await registry.CreateAsync("f", 1, 0);

        await registry.DeleteAsync(first);
        var second = await registry.CreateAsync("f", 1, 0);

        Assert.NotEqual(first.FileId, second.FileId);
        Assert.NotEqual(0UL, second.FileId);
    }

    [Fact]
    public async Task LoadingReadsEveryRecordFromTheStoreAndListIsSortedByName()
    {
        var store = new InMemoryMetadataStore();
        var seed = await LoadedRegistryAsync(store);
        foreach (var name in new[] { "b", "c", "a" })
        {
            await seed.CreateAsync(name, 1, 0);
        }

        var registry = await LoadedRegistryAsync(store);

        Assert.Equal(["a", "b", "c"], registry.List().Select(r => r.Name));
    }
}
