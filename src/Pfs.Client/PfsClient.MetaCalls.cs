using Grpc.Core;
using Pfs.Client.Transport;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>How calls to the metadata server are made: deadlines, cancellation, and errors as <see cref="PfsException"/>.</summary>
public sealed partial class PfsClient
{
    private const string ClientIdHeader = "pfs-client-id";
    private const string SessionTokenHeader = "pfs-session-bin";

    /// <summary>
    /// Options for a call that must finish within the operation timeout. It waits for a server
    /// that is restarting (wait-for-ready) rather than failing while the channel reconnects.
    /// </summary>
    internal CallOptions Bounded(CancellationToken cancellationToken = default) =>
        new CallOptions(headers: _callHeaders, deadline: DateTime.UtcNow + Options.OperationTimeout, cancellationToken: cancellationToken).WithWaitForReady();

    /// <summary>Options for a call that may wait long (for a lock): no deadline, the caller's token.</summary>
    internal CallOptions Unbounded(CancellationToken cancellationToken = default) =>
        new(headers: _callHeaders, cancellationToken: cancellationToken);

    /// <summary>
    /// The <c>pfs-client-id</c> header, so the notices of this client's own namespace changes are not
    /// sent back to it; none for a client id a header cannot carry (it then gets its own notices too).
    /// </summary>
    private static Metadata? CallHeaders(string clientId, byte[]? sessionToken = null)
    {
        var headers = new Metadata();
        if (clientId.All(c => c is > ' ' and <= '~'))
        {
            headers.Add(ClientIdHeader, clientId);
        }

        if (sessionToken is { Length: > 0 })
        {
            // What shows the metadata server that calls naming this client id come from its session.
            headers.Add(SessionTokenHeader, sessionToken);
        }

        return headers.Count > 0 ? headers : null;
    }

    // The per-name namespace calls: a message of the namespace stream (PfsClientOptions.NamespaceStream), else the
    // unary call. Either way the call waits for a restarting server within the operation timeout and fails as a
    // PfsException with the same code (see MetaPipe). A server without the stream (Unimplemented) never ran the
    // request: it is made as a unary call, and so is every later one.

    internal Task<StatReply> StatCallAsync(string what, StatRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Stat = request }, static reply => reply.Stat, static (meta, r, options) => meta.StatAsync(r, options), cancellationToken);

    internal Task<CreateReply> CreateCallAsync(string what, CreateRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Create = request }, static reply => reply.Create, static (meta, r, options) => meta.CreateAsync(r, options), cancellationToken);

    internal Task<RemoveReply> UnlinkCallAsync(string what, UnlinkRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Unlink = request }, static reply => reply.Removed, static (meta, r, options) => meta.UnlinkAsync(r, options), cancellationToken);

    internal Task<NodeReply> MakeDirectoryCallAsync(string what, MakeDirectoryRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { MakeDirectory = request }, static reply => reply.Node, static (meta, r, options) => meta.MakeDirectoryAsync(r, options), cancellationToken);

    internal Task<RemoveReply> RemoveDirectoryCallAsync(string what, RemoveDirectoryRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { RemoveDirectory = request }, static reply => reply.Removed, static (meta, r, options) => meta.RemoveDirectoryAsync(r, options), cancellationToken);

    internal Task<RenameReply> RenameCallAsync(string what, RenameRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Rename = request }, static reply => reply.Rename, static (meta, r, options) => meta.RenameAsync(r, options), cancellationToken);

    internal Task<NodeReply> LinkCallAsync(string what, LinkRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Link = request }, static reply => reply.Node, static (meta, r, options) => meta.LinkAsync(r, options), cancellationToken);

    internal Task<NodeReply> SymlinkCallAsync(string what, SymlinkRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { Symlink = request }, static reply => reply.Node, static (meta, r, options) => meta.SymlinkAsync(r, options), cancellationToken);

    internal Task<NodeReply> SetAttributesCallAsync(string what, SetAttributesRequest request, CancellationToken cancellationToken) =>
        NamespaceCallAsync(what, request, new PipeRequest { SetAttributes = request }, static reply => reply.Node, static (meta, r, options) => meta.SetAttributesAsync(r, options), cancellationToken);

    private async Task<TReply> NamespaceCallAsync<TRequest, TReply>(string what, TRequest request, PipeRequest piped, Func<PipeReply, TReply> pick,
                                                                   Func<MetaService.MetaServiceClient, TRequest, CallOptions, AsyncUnaryCall<TReply>> unary,
                                                                   CancellationToken cancellationToken)
    {
        if (_pipe is { Unsupported: false } pipe)
        {
            try
            {
                return pick(await CallMetaAsync(what, () => pipe.CallAsync(piped, cancellationToken), cancellationToken).ConfigureAwait(false));
            }
            catch (PfsException) when (pipe.Unsupported)
            {
            }
        }

        return await CallMetaAsync(what, () => unary(_meta, request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<T> CallMetaAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{what} was cancelled", ex, cancellationToken);
        }
        catch (RpcException ex)
        {
            throw PfsErrors.FromRpc(ex, what);
        }
    }

    // Open and Delete wait for a lock with no deadline (the wait may be long, and keep-alive
    // pings find a dead server). If the caller gives up, the server is told to drop whatever
    // the call holds or waits for, since its answer may have been lost on the way.
    private async Task<T> LockingCallAsync<T>(string what, ulong openId, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await CallMetaAsync(what, call, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await ReleaseQuietlyAsync(openId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Gives back open <paramref name="openId"/> (held or waited for); one that the server no longer holds is done already.</summary>
    internal async Task ReleaseOpenAsync(ulong openId, string what)
    {
        try
        {
            await CallMetaAsync(what, () => _meta.ReleaseAsync(new ReleaseRequest { ClientId = Options.ClientId, OpenId = openId },
                Bounded()).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code is PfsErrorCode.Closed or PfsErrorCode.NotFound)
        {
            // Its lease ran out, or the metadata server restarted: nothing is held any more.
        }
    }

    private async Task ReleaseQuietlyAsync(ulong openId)
    {
        try
        {
            await _meta.ReleaseAsync(new ReleaseRequest { ClientId = Options.ClientId, OpenId = openId },
                Bounded()).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // The lease frees it when this client goes away.
            Log.ReleaseFailed(_logger, openId, ex.Status.Detail);
        }
    }
}
