using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Pfs.MetaServer;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;
using Pfs.ServiceDefaults;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.MetaServer;

public sealed class MetaServerEndToEndTests(MetaServerFixture server) : IClassFixture<MetaServerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly MetaService.MetaServiceClient _client = server.Client;
    private static ulong _openIds;

    private static ulong NextOpenId() => Interlocked.Increment(ref _openIds);

    private Task<OpenReply> OpenAsync(string clientId, string name, LockMode mode, DateTime? deadline = null) =>
        _client.OpenAsync(new OpenRequest { ClientId = clientId, OpenId = NextOpenId(), Name = name, Mode = mode }, deadline: deadline).ResponseAsync;

    private static async Task<RpcException> FailsWith(StatusCode code, Task call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Timeout));
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }

    [Fact]
    public async Task HealthReportsServing()
    {
        var health = new Health.HealthClient(server.Channel);

        var reply = await health.CheckAsync(new HealthCheckRequest { Service = string.Empty }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task CreateOpenCloseStatAndListRoundTrip()
    {
        var created = (await _client.CreateAsync(new CreateRequest { Name = "e2e-roundtrip", StripeWidth = 2, BlockSize = 4096 })).File;
        var open = await OpenAsync("e2e-a", "e2e-roundtrip", LockMode.Write).WaitAsync(Timeout);

        var close = new CloseRequest { ClientId = "e2e-a", Handle = open.Handle, Size = 10_000 };
        close.Dirty.Add(new BlockRange { Start = 0, Count = 3 });
        var closed = (await _client.CloseAsync(close)).File;
        var stat = (await _client.StatAsync(new StatRequest { Name = "e2e-roundtrip" })).File;
        var list = await _client.ListAsync(new ListRequest());

        Assert.Equal(["http://localhost:50052", "http://localhost:50053"], created.Recipe.Servers);
        Assert.Equal(4096, created.Recipe.BlockSize);
        Assert.Equal(created.FileId, open.File.FileId);
        Assert.Equal(10_000, closed.Size);
        Assert.Equal(created.Version + 1, closed.Version);
        Assert.Equal(closed, stat);
        Assert.Contains(list.Files, f => f.Name == "e2e-roundtrip");
        Assert.Equal(list.Files.Select(f => f.Name).Order(StringComparer.Ordinal), list.Files.Select(f => f.Name));
    }

    [Fact]
    public async Task ErrorsArriveWithPreciseStatusCodesAndDetails()
    {
        await _client.CreateAsync(new CreateRequest { Name = "e2e-errors", StripeWidth = 1 });

        await FailsWith(StatusCode.AlreadyExists, _client.CreateAsync(new CreateRequest { Name = "e2e-errors", StripeWidth = 1 }).ResponseAsync);
        await FailsWith(StatusCode.InvalidArgument, _client.CreateAsync(new CreateRequest { Name = "e2e-wide", StripeWidth = 4 }).ResponseAsync);
        var badName = await FailsWith(StatusCode.InvalidArgument, _client.StatAsync(new StatRequest { Name = "a//b" }).ResponseAsync);
        Assert.Contains("empty component", badName.Status.Detail, StringComparison.Ordinal);
        await FailsWith(StatusCode.NotFound, _client.StatAsync(new StatRequest { Name = "e2e-missing-dir/b" }).ResponseAsync);
        await FailsWith(StatusCode.NotFound, _client.StatAsync(new StatRequest { Name = "e2e-missing" }).ResponseAsync);
    }

    [Fact]
    public async Task AReadersOpenWaitsUntilTheWriterCloses()
    {
        await _client.CreateAsync(new CreateRequest { Name = "e2e-block", StripeWidth = 1 });
        var writer = await OpenAsync("e2e-w", "e2e-block", LockMode.Write).WaitAsync(Timeout);

        var reader = OpenAsync("e2e-r", "e2e-block", LockMode.Read);
        await MetaProbe.WaitForWaitersAsync(server.Services, "e2e-block", 1);
        Assert.False(reader.IsCompleted, "a reader must wait while the writer holds the file");
        await _client.CloseAsync(new CloseRequest { ClientId = "e2e-w", Handle = writer.Handle, Size = 1 });

        var granted = await reader.WaitAsync(Timeout);
        Assert.Equal(1, granted.File.Size);
    }

    [Fact]
    public async Task AnOpenThatGivesUpHoldsNothing()
    {
        await _client.CreateAsync(new CreateRequest { Name = "e2e-deadline", StripeWidth = 1 });
        var writer = await OpenAsync("e2e-w2", "e2e-deadline", LockMode.Write).WaitAsync(Timeout);

        var late = NextOpenId();
        await FailsWith(StatusCode.DeadlineExceeded, _client.OpenAsync(
            new OpenRequest { ClientId = "e2e-late", OpenId = late, Name = "e2e-deadline", Mode = LockMode.Write },
            deadline: DateTime.UtcNow.AddMilliseconds(200)).ResponseAsync);
        // What a client that gives up sends (PfsClient does it for a cancelled open): the server's own deadline
        // may fire after the client's, so on a loaded machine the open can be granted just after the client
        // stopped listening; the release ends it either way.
        await _client.ReleaseAsync(new ReleaseRequest { ClientId = "e2e-late", OpenId = late });
        await _client.CloseAsync(new CloseRequest { ClientId = "e2e-w2", Handle = writer.Handle });

        var next = await OpenAsync("e2e-next", "e2e-deadline", LockMode.Write).WaitAsync(Timeout);
        Assert.NotEqual(0UL, next.Handle);
    }

    [Fact]
    public async Task SubscribeOverTheWireReceivesTheInvalidate()
    {
        var file = (await _client.CreateAsync(new CreateRequest { Name = "e2e-notice", StripeWidth = 1 })).File;
        using var cancel = new CancellationTokenSource(Timeout);
        using var subscription = _client.Subscribe(new SubscribeRequest { ClientId = "e2e-sub" }, cancellationToken: cancel.Token);
        Assert.True(await subscription.ResponseStream.MoveNext(cancel.Token));
        var hello = subscription.ResponseStream.Current;
        var writer = await OpenAsync("e2e-writer", "e2e-notice", LockMode.Write).WaitAsync(Timeout);

        var close = new CloseRequest { ClientId = "e2e-writer", Handle = writer.Handle, Size = 2048 };
        close.Dirty.Add(new BlockRange { Start = 2, Count = 2 });
        await _client.CloseAsync(close);

        Assert.Equal(Notice.KindOneofCase.Hello, hello.KindCase);
        Assert.NotEqual(0UL, hello.Hello.SessionId);
        Assert.True(await subscription.ResponseStream.MoveNext(cancel.Token));
        var notice = subscription.ResponseStream.Current;
        Assert.Equal(Notice.KindOneofCase.Invalidate, notice.KindCase);
        Assert.Equal(file.FileId, notice.Invalidate.FileId);
        Assert.Equal((2L, 2L), (notice.Invalidate.Blocks[0].Start, notice.Invalidate.Blocks[0].Count));
        // The subscriber's own open carries its session token, as every call naming its id must.
        var unbound = await FailsWith(StatusCode.PermissionDenied, OpenAsync("e2e-sub", "e2e-notice", LockMode.Read));
        var reader = await _client.OpenAsync(
            new OpenRequest { ClientId = "e2e-sub", OpenId = NextOpenId(), Name = "e2e-notice", Mode = LockMode.Read },
            new Metadata { { "pfs-session-bin", hello.Hello.SessionToken.ToByteArray() } }).ResponseAsync.WaitAsync(Timeout);
        Assert.Contains("another session", unbound.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(hello.Hello.SessionId, reader.SessionId);
        Assert.True(reader.NoticeSeq >= notice.Seq);
    }

    [Fact]
    public async Task StartLoadsTheNamespaceFromTheStoreBeforeAnswering()
    {
        var store = new InMemoryMetadataStore();
        await store.LoadAsync();
        var now = Node.Truncate(DateTimeOffset.UtcNow);
        var kept = new FileNode
        {
            Id = 77, Size = 100, Created = now, Modified = now, Changed = now, Accessed = now, BlockSize = 512, StripeWidth = 1,
            Servers = ["http://localhost:50052"], Version = 3,
        };
        await store.ApplyAsync(new StoreChange().SetNode(77, NodeFields.All(kept)).SetEntry(DirectoryNode.RootId, "kept", 77));
        await using var app = MetaServerApp.Build(
            new MetaServerOptions { Port = 0, BindAddress = "127.0.0.1", FileServers = ["localhost:50052"], ClusterKey = Fixtures.TestCaps.Key },
            configure: builder => builder.Services.AddSingleton<IMetadataStore>(store));

        await app.StartAsync().WaitAsync(Timeout);
        using var channel = GrpcChannel.ForAddress(app.GetListenAddress());
        var stat = await new MetaService.MetaServiceClient(channel).StatAsync(new StatRequest { Name = "kept" }).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(77UL, stat.File.FileId);
        Assert.Equal(3UL, stat.File.Version);
        await app.StopAsync().WaitAsync(Timeout);
    }
}
