using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfs.Client.Transport;
using Pfs.Protocol.Security;

namespace Pfs.Client.Security;

/// <summary>
/// A client's proof of its key: it signs a fresh statement, gets a session token for it, puts the
/// token on every metadata call, and gets a new one at half of its lifetime (sooner if a call finds
/// it expired). The key itself never leaves the process.
/// </summary>
internal sealed class ClientAuthentication : Interceptor, IDisposable
{
    private readonly ClientKey _key;
    private readonly AuthService.AuthServiceClient _auth;
    private readonly TimeSpan _timeout;
    private readonly Uri _server;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Session? _session;
    private int _renewing;

    public ClientAuthentication(ClientKey key, CallInvoker invoker, TimeSpan timeout, Uri server)
    {
        _key = key;
        _server = server;
        _auth = new AuthService.AuthServiceClient(invoker);
        _timeout = timeout;
    }

    public string Identity => _key.Identity;

    /// <summary>Gets a token, failing as a <see cref="PfsException"/> (for ConnectAsync).</summary>
    /// <exception cref="PfsException">PermissionDenied for an unknown, wrong or revoked key; Unavailable if the server cannot be reached.</exception>
    public async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RenewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // The server is named: with the address left to its default (no --meta, no PFS_META), the user would not know where.
            throw PfsErrors.FromRpc(ex, $"authenticate as '{_key.Identity}' at {_server}");
        }
    }

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (Usable())
        {
            return continuation(request, WithToken(context));
        }

        // No valid token (the process slept past its expiry, or renewals failed): get one first, and
        // fail the call with the renewal's own status if that fails.
        var call = RenewAsync(context.Options.CancellationToken).ContinueWith(
            renewal =>
            {
                renewal.GetAwaiter().GetResult();
                return continuation(request, WithToken(context));
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new AsyncUnaryCall<TResponse>(
            ResponseAsync(call),
            HeadersAsync(call),
            () => call.IsCompletedSuccessfully ? call.Result.GetStatus() : Status.DefaultCancelled,
            () => call.IsCompletedSuccessfully ? call.Result.GetTrailers() : [],
            () =>
            {
                if (call.IsCompletedSuccessfully)
                {
                    call.Result.Dispose();
                }
            });
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        // A stream cannot wait for a renewal; if its token is refused, the caller subscribes again after it.
        _ = Usable();
        return continuation(request, WithToken(context));
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        // The namespace stream: its opener made sure of a usable token (EnsureTokenAsync), and opens it again when the token changes.
        continuation(WithToken(context));

    /// <summary>The token calls carry now: a stream opened with another one is opened again.</summary>
    public object? CurrentToken => _session;

    /// <summary>Whether the identity may make no change, as the metadata server said at the last authentication.</summary>
    public bool ReadOnly { get; private set; }

    /// <summary>
    /// Makes sure a usable token exists (getting one first if it expired), and starts the renewal of one past half its
    /// life, as a unary call does. A failure is the AuthService call's RpcException.
    /// </summary>
    public async ValueTask EnsureTokenAsync(CancellationToken cancellationToken)
    {
        if (!Usable())
        {
            await RenewAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True if the current token may be sent. Past half its life a renewal starts in the background
    /// (one at a time; a failure leaves the current token in use until it expires).
    /// </summary>
    private bool Usable()
    {
        if (_session is not { } session || DateTimeOffset.UtcNow >= session.Expires)
        {
            return false;
        }

        if (DateTimeOffset.UtcNow >= session.RenewAt && Interlocked.CompareExchange(ref _renewing, 1, 0) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await RenewAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (RpcException)
                {
                }
                finally
                {
                    Volatile.Write(ref _renewing, 0);
                }
            });
        }

        return true;
    }

    /// <summary>Proves the key and keeps the new token; a failure is the AuthService call's RpcException.</summary>
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var before = _session;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(before, _session) && _session is { } fresh && DateTimeOffset.UtcNow < fresh.RenewAt)
            {
                return;
            }

            var reply = await _auth.AuthenticateAsync(_key.Prove(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
                deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(reply.ExpiresUnixMs);
            ReadOnly = reply.ReadOnly;
            _session = new Session(new Metadata { { IdentityProof.TokenHeader, reply.Token.ToByteArray() } }, now + ((expires - now) / 2), expires);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _key.Dispose();
    }

    private ClientInterceptorContext<TRequest, TResponse> WithToken<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        if (_session is not { } session)
        {
            return context;
        }

        var headers = new Metadata();
        foreach (var entry in context.Options.Headers ?? [])
        {
            headers.Add(entry);
        }

        foreach (var entry in session.Headers)
        {
            headers.Add(entry);
        }

        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }

    private static async Task<TResponse> ResponseAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> call) =>
        await (await call.ConfigureAwait(false)).ResponseAsync.ConfigureAwait(false);

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> call) =>
        await (await call.ConfigureAwait(false)).ResponseHeadersAsync.ConfigureAwait(false);

    private sealed record Session(Metadata Headers, DateTimeOffset RenewAt, DateTimeOffset Expires);
}
