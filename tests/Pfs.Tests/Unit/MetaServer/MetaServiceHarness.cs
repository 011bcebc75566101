using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Pfs.MetaServer;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Services;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;
using MetaFileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>
/// The metadata service wired as the server wires it, called directly (no network) through its
/// error interceptor, so failures arrive as the status codes callers get.
/// </summary>
internal sealed class MetaServiceHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly ServiceProvider _services;
    private readonly List<TestSubscription> _subscriptions = [];
    private readonly MetaErrorInterceptor _errors = new();
    private ulong _nextOpenId;

    private MetaServiceHarness(ServiceProvider services)
    {
        _services = services;
        Service = ActivatorUtilities.CreateInstance<MetaGrpcService>(services);
    }

    public MetaGrpcService Service { get; }

    public LockTable Locks => _services.GetRequiredService<LockTable>();

    public OpenTable Opens => _services.GetRequiredService<OpenTable>();

    public LeaseManager Leases => _services.GetRequiredService<LeaseManager>();

    public ClientTokens Tokens => _services.GetRequiredService<ClientTokens>();

    public Namespace Names => _services.GetRequiredService<Namespace>();

    public static async Task<MetaServiceHarness> StartAsync(
        int fileServers = 3,
        TimeSpan? leaseTimeout = null,
        int noticeQueueCapacity = 4096,
        IMetadataStore? store = null)
    {
        var options = new MetaServerOptions
        {
            FileServers = [.. Enumerable.Range(0, fileServers).Select(i => $"localhost:{50052 + i}")],
            LeaseTimeout = leaseTimeout ?? TimeSpan.FromSeconds(30),
            NoticeQueueCapacity = noticeQueueCapacity,
        };
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostApplicationLifetime, Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>();
        if (store is not null)
        {
            services.AddSingleton(store);
        }

        services.AddSingleton(Fixtures.TestCaps.Signer);
        services.AddSingleton(options);
        services.AddMetaServerCore();
        // The namespace stream authorizes each request itself: the security services, with no identity (anyone may).
        services.AddSingleton(new Pfs.ServiceDefaults.Security.PfsSecurityOptions());
        Pfs.MetaServer.Security.SecurityRegistration.AddMetaServerSecurity(services);
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Namespace>().LoadAsync();
        return new MetaServiceHarness(provider);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _sessionTokens = new(StringComparer.Ordinal);

    public ulong NextOpenId() => Interlocked.Increment(ref _nextOpenId);

    public async Task<MetaFileInfo> CreateAsync(string name, int stripeWidth = 1, int blockSize = 0)
    {
        var reply = await Call(Service.Create, new CreateRequest { Name = name, StripeWidth = stripeWidth, BlockSize = blockSize });
        return reply.File;
    }

    public Task<OpenReply> OpenAsync(string clientId, string name, LockMode mode, ulong? openId = null, CancellationToken cancellationToken = default) =>
        Call(Service.Open, new OpenRequest { ClientId = clientId, OpenId = openId ?? NextOpenId(), Name = name, Mode = mode }, cancellationToken);

    public Task<CloseReply> CloseAsync(string clientId, ulong handle, long size = 0, params (long Start, long Count)[] dirty)
    {
        var request = new CloseRequest { ClientId = clientId, Handle = handle, Size = size };
        request.Dirty.AddRange(dirty.Select(range => new BlockRange { Start = range.Start, Count = range.Count }));
        return Call(Service.Close, request);
    }

    public Task<DeleteReply> DeleteAsync(string clientId, string name, ulong? openId = null, CancellationToken cancellationToken = default) =>
        Call(Service.Delete, new DeleteRequest { ClientId = clientId, OpenId = openId ?? NextOpenId(), Name = name }, cancellationToken);

    public Task<ReleaseReply> ReleaseAsync(string clientId, ulong openId) =>
        Call(Service.Release, new ReleaseRequest { ClientId = clientId, OpenId = openId });

    public Task<StatReply> StatAsync(string name) =>
        Call(Service.Stat, new StatRequest { Name = name });

    /// <summary>A Subscribe call through the interceptor, as the server makes it.</summary>
    public Task SubscribeCall(SubscribeRequest request, IServerStreamWriter<Notice> stream, CancellationToken cancellationToken = default) =>
        _errors.ServerStreamingServerHandler(request, stream, new TestServerCallContext(cancellationToken, SessionHeaders(request)), Service.Subscribe);

    /// <summary>Starts a Subscribe call and waits for its Hello.</summary>
    public async Task<TestSubscription> SubscribeAsync(string clientId, int? stallAfterWrites = null)
    {
        var subscription = new TestSubscription(this, clientId, stallAfterWrites);
        _subscriptions.Add(subscription);
        var hello = await subscription.Stream.ReadAsync(Timeout);
        Assert.Equal(Notice.KindOneofCase.Hello, hello.KindCase);
        Assert.Equal(0UL, hello.Seq);
        subscription.SessionId = hello.Hello.SessionId;
        _sessionTokens[clientId] = hello.Hello.SessionToken.ToByteArray();
        return subscription;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Cancel();
            await subscription.Completion.WaitAsync(Timeout);
        }

        await _services.DisposeAsync();
    }

    // Through the interceptor, and async so that a synchronous throw of the service arrives as a faulted task, as over the wire.
    private async Task<TResponse> Call<TRequest, TResponse>(
        Func<TRequest, ServerCallContext, Task<TResponse>> method, TRequest request, CancellationToken cancellationToken = default)
        where TRequest : class
        where TResponse : class =>
        await _errors.UnaryServerHandler(request, new TestServerCallContext(cancellationToken, SessionHeaders(request)), (r, c) => method(r, c));

    /// <summary>
    /// The session token a client id got from its subscription, as a real client sends it on every
    /// call naming the id; none for ids that never subscribed, or when the test plays another client.
    /// </summary>
    private Metadata? SessionHeaders(object request)
    {
        var clientId = request switch
        {
            OpenRequest open => open.ClientId,
            CloseRequest close => close.ClientId,
            ReleaseRequest release => release.ClientId,
            DeleteRequest delete => delete.ClientId,
            SubscribeRequest subscribe => subscribe.ClientId,
            _ => null,
        };
        return clientId is not null && _sessionTokens.TryGetValue(clientId, out var token)
            ? new Metadata { { "pfs-session-bin", token } }
            : null;
    }

    /// <summary>The token <paramref name="clientId"/>'s last subscription got.</summary>
    public byte[] SessionTokenOf(string clientId) => _sessionTokens[clientId];

    /// <summary>Calls as <paramref name="clientId"/> from now on carry <paramref name="token"/>, as a client bringing its own does.</summary>
    public void UseSessionToken(string clientId, byte[] token) => _sessionTokens[clientId] = token;

    /// <summary>Calls as <paramref name="clientId"/> from now on carry no session token (an impostor's calls).</summary>
    public void ForgetSessionToken(string clientId) => _sessionTokens.TryRemove(clientId, out _);

    /// <summary>Expects the call to fail with <paramref name="code"/> within the timeout.</summary>
    public static async Task<RpcException> ThrowsAsync(StatusCode code, Task call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Timeout));
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }
}
