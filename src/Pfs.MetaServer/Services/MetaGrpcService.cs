using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>
/// The metadata service as protos/metadata.proto describes it. Split by concern:
/// Open/Release in .Open.cs, Close in .Close.cs, Delete in .Delete.cs, Subscribe in .Subscribe.cs,
/// ClusterStatus in .Status.cs, advisory locks in .Lock.cs, the namespace calls of version 2 in .Namespace.cs, their stream in .Pipe.cs. Failures are thrown as <see cref="MetaException"/>s, which
/// <see cref="MetaErrorInterceptor"/> turns into status codes.
/// </summary>
internal sealed partial class MetaGrpcService : MetaService.MetaServiceBase
{
    /// <summary>The request header naming the calling client (see <see cref="ActorOf"/>).</summary>
    public const string ClientIdHeader = "pfs-client-id";

    // Client ids are kept as map keys; bound what a caller can make the server hold.
    private const int MaxClientIdLength = 1024;

    private readonly Namespace _names;
    private readonly LockTable _locks;
    private readonly RangeLockTable _rangeLocks;
    private readonly OpenTable _opens;
    private readonly SessionManager _sessions;
    private readonly LeaseManager _leases;
    private readonly ILogger<MetaGrpcService> _logger;
    private readonly CancellationToken _stopping;
    private readonly CapabilitySigner _signer;
    private readonly WriterEpochs _epochs;
    private readonly ServerInstance _instance;
    private readonly ObjectCommitter _committer;
    private readonly ObjectReclaimer _reclaimer;
    private readonly ClientTokens _tokens;
    private readonly Security.CallAuthorizer _authorizer;

    public MetaGrpcService(
        Namespace names,
        LockTable locks,
        RangeLockTable rangeLocks,
        OpenTable opens,
        SessionManager sessions,
        LeaseManager leases,
        IHostApplicationLifetime lifetime,
        CapabilitySigner signer,
        WriterEpochs epochs,
        ServerInstance instance,
        ObjectCommitter committer,
        ObjectReclaimer reclaimer,
        ClientTokens tokens,
        Security.CallAuthorizer authorizer,
        ILogger<MetaGrpcService> logger)
    {
        _authorizer = authorizer;
        _tokens = tokens;
        _reclaimer = reclaimer;
        _committer = committer;
        _instance = instance;
        _signer = signer;
        _epochs = epochs;
        _stopping = lifetime.ApplicationStopping;
        _names = names;
        _locks = locks;
        _rangeLocks = rangeLocks;
        _opens = opens;
        _sessions = sessions;
        _leases = leases;
        _logger = logger;
    }

    public override async Task<CreateReply> Create(CreateRequest request, ServerCallContext context)
    {
        var spec = new FileSpec(request.StripeWidth, request.BlockSize, request.ParityBlocks, request.HasMode ? request.Mode : null, request.Uid, request.Gid);
        var view = await _names.CreateFileAsync(request.Base, request.Name, spec, ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        var file = (FileNode)view.Node;
        LogCreated(_logger, view.Path, file.Id, file.StripeWidth, file.BlockSize);
        return new CreateReply { File = view.ToFileInfo() };
    }

    public override Task<StatReply> Stat(StatRequest request, ServerCallContext context) =>
        Task.FromResult(new StatReply { File = _names.Lookup(request.Base, request.Name).ToFileInfo() });

    public override Task<ListReply> List(ListRequest request, ServerCallContext context)
    {
        var reply = new ListReply();
        foreach (var view in _names.ListRoot())
        {
            reply.Files.Add(view.ToFileInfo());
        }

        return Task.FromResult(reply);
    }

    /// <summary>
    /// The client that makes a namespace change, from the <c>pfs-client-id</c> request header (set by the
    /// client library on every call), so its own change is not noticed back to it. Null: none given.
    /// </summary>
    private static string? ActorOf(ServerCallContext context)
    {
        var actor = context.RequestHeaders?.GetValue(ClientIdHeader);
        return string.IsNullOrEmpty(actor) || actor.Length > MaxClientIdLength ? null : actor;
    }

    /// <summary>The call's client id, checked, and the caller shown to be its session (see <see cref="ClientTokens"/>).</summary>
    private string RequireSession(string clientId, ServerCallContext context)
    {
        RequireClientId(clientId);
        _tokens.Check(clientId, context);
        return clientId;
    }

    private static string RequireClientId(string clientId) =>
        string.IsNullOrEmpty(clientId)
            ? throw MetaException.InvalidArgument("client_id must not be empty")
            : clientId.Length > MaxClientIdLength
                ? throw MetaException.InvalidArgument($"client_id must be at most {MaxClientIdLength} characters")
                : clientId;

    [LoggerMessage(EventId = 1, EventName = "FileCreated", Level = LogLevel.Debug, Message = "Created '{Name}' (id {FileId}, width {Width}, block {BlockSize} B)")]
    private static partial void LogCreated(ILogger logger, string name, ulong fileId, int width, int blockSize);

    [LoggerMessage(EventId = 2, EventName = "LockGranted", Level = LogLevel.Debug, Message = "Client '{ClientId}' got a {Kind} lock on '{Name}' after {WaitedMs} ms")]
    private static partial void LogGranted(ILogger logger, string clientId, LockKind kind, string name, double waitedMs);

    [LoggerMessage(EventId = 3, EventName = "HandleClosed", Level = LogLevel.Debug, Message = "Client '{ClientId}' closed '{Name}' ({Kind}); version {Version}, size {Size}, {Recipients} client(s) notified")]
    private static partial void LogClosed(ILogger logger, string clientId, string name, LockKind kind, ulong version, long size, int recipients);

    [LoggerMessage(EventId = 4, EventName = "FileDeleted", Level = LogLevel.Debug, Message = "Client '{ClientId}' deleted '{Name}' (id {FileId}; freed: {Freed})")]
    private static partial void LogDeleted(ILogger logger, string clientId, string name, ulong fileId, bool freed);

    [LoggerMessage(EventId = 5, EventName = "OpenReleased", Level = LogLevel.Debug, Message = "Client '{ClientId}' released open {OpenId}: {Outcome}")]
    private static partial void LogReleased(ILogger logger, string clientId, ulong openId, ReleaseOutcome outcome);

    [LoggerMessage(EventId = 6, EventName = "Subscribed", Level = LogLevel.Debug, Message = "Client '{ClientId}' subscribed: session {SessionId}")]
    private static partial void LogSubscribed(ILogger logger, string clientId, ulong sessionId);

    [LoggerMessage(EventId = 7, EventName = "Unsubscribed", Level = LogLevel.Debug, Message = "Session {SessionId} of client '{ClientId}' ended (overflowed: {Overflowed})")]
    private static partial void LogUnsubscribed(ILogger logger, string clientId, ulong sessionId, bool overflowed);
}
