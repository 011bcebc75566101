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
    // PfsException with the same code (see MetaPipe).

    internal async Task<StatReply> StatCallAsync(string what, StatRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Stat = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Stat
            : await CallMetaAsync(what, () => _meta.StatAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<CreateReply> CreateCallAsync(string what, CreateRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Create = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Create
            : await CallMetaAsync(what, () => _meta.CreateAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<RemoveReply> UnlinkCallAsync(string what, UnlinkRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Unlink = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Removed
            : await CallMetaAsync(what, () => _meta.UnlinkAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<NodeReply> MakeDirectoryCallAsync(string what, MakeDirectoryRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { MakeDirectory = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Node
            : await CallMetaAsync(what, () => _meta.MakeDirectoryAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<RemoveReply> RemoveDirectoryCallAsync(string what, RemoveDirectoryRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { RemoveDirectory = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Removed
            : await CallMetaAsync(what, () => _meta.RemoveDirectoryAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<RenameReply> RenameCallAsync(string what, RenameRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Rename = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Rename
            : await CallMetaAsync(what, () => _meta.RenameAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<NodeReply> LinkCallAsync(string what, LinkRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Link = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Node
            : await CallMetaAsync(what, () => _meta.LinkAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<NodeReply> SymlinkCallAsync(string what, SymlinkRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { Symlink = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Node
            : await CallMetaAsync(what, () => _meta.SymlinkAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

    internal async Task<NodeReply> SetAttributesCallAsync(string what, SetAttributesRequest request, CancellationToken cancellationToken) =>
        _pipe is { } pipe
            ? (await CallMetaAsync(what, () => pipe.CallAsync(new PipeRequest { SetAttributes = request }, cancellationToken), cancellationToken).ConfigureAwait(false)).Node
            : await CallMetaAsync(what, () => _meta.SetAttributesAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

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
