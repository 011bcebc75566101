namespace Pfs.Client;

/// <summary>
/// Hands out one shared <see cref="PfsClient"/>, connected on first use (connecting is
/// asynchronous, so it cannot happen inside a dependency-injection constructor). A failed
/// connect is not cached: the next call tries again. Registered as a singleton by
/// <c>services.AddPfsClient()</c>; disposing it disposes the client.
/// </summary>
public sealed class PfsClientProvider : IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private Task<PfsClient>? _connecting;
    private bool _disposed;

    /// <summary>A provider for a client with these options.</summary>
    public PfsClientProvider(PfsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The options the client connects with.</summary>
    public PfsClientOptions Options { get; }

    /// <summary>
    /// The shared client, connecting it if this is the first call (or the last connect failed).
    /// <paramref name="cancellationToken"/> stops this caller's wait, not a connect others share.
    /// </summary>
    public async Task<PfsClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        Task<PfsClient> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = PfsClient.ConnectAsync(Options, _disposing.Token);
            }

            connecting = _connecting;
        }

        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the client if one was connected (closing its open files).</summary>
    public async ValueTask DisposeAsync()
    {
        Task<PfsClient>? connecting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connecting = _connecting;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (connecting is not null)
        {
            try
            {
                var client = await connecting.ConfigureAwait(false);
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PfsException or OperationCanceledException)
            {
                // It never connected: nothing to close.
            }
        }

        _disposing.Dispose();
    }

    /// <summary>Same as <see cref="DisposeAsync"/>, for containers disposed synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
