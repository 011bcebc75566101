using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Client.Caching;
using Pfs.Client.Diagnostics;
using Pfs.Client.Transport;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using FileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.Client;

/// <summary>
/// A connection to a Pfs cluster. Opens go through the metadata server; data moves between this
/// client and the file servers directly, in parallel, through an LRU write-back block cache
/// that other clients' writers invalidate block by block.
/// </summary>
public sealed partial class PfsClient : IAsyncDisposable
{
    private readonly MetaService.MetaServiceClient _meta;
    private readonly Grpc.Net.Client.GrpcChannel _metaChannel;
    private readonly FileServerPool _pool;
    private readonly ConcurrentDictionary<PfsFile, byte> _openFiles = new();
    private readonly BlockWriter.Counters _writeBackCounters = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly ILogger _logger;
    private long _nextOpenId;
    private int _disposed;

    private PfsClient(PfsClientOptions options)
    {
        Options = options;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PfsClient>();
        _metaChannel = ChannelFactory.Create(options.MetaServer, options);
        _meta = new MetaService.MetaServiceClient(_metaChannel);
        _pool = new FileServerPool(options);
        Transport = new BlockTransport(options);
        Cache = new BlockCache(options.CacheBlocks);
    }

    /// <summary>Block-cache counters since connect.</summary>
    public PfsCacheStats Stats => _writeBackCounters.AddTo(Cache.Stats);

    internal PfsClientOptions Options { get; }

    internal BlockCache Cache { get; }

    internal BlockTransport Transport { get; }

    internal MetaService.MetaServiceClient Meta => _meta;

    internal ILogger Logger => _logger;

    /// <summary>
    /// Connects to the metadata server and opens this client's invalidation stream. Fails with
    /// <see cref="PfsErrorCode.Unavailable"/> if the server cannot be reached within
    /// <see cref="PfsClientOptions.OperationTimeout"/>.
    /// </summary>
    public static async Task<PfsClient> ConnectAsync(PfsClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptions(options);
        var client = new PfsClient(options);
        try
        {
            await client.StartNoticesAsync(cancellationToken).ConfigureAwait(false);
            PfsMetrics.Track(client);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an empty file striped over the first <paramref name="stripeWidth"/> file servers, in 512-byte blocks.</summary>
    public Task CreateAsync(string name, int stripeWidth, CancellationToken cancellationToken = default) =>
        CreateAsync(name, stripeWidth, BlockSizes.Default, cancellationToken);

    /// <summary>Creates an empty file with a chosen block (stripe unit) size: a power of two from 512 B to 64 MiB.</summary>
    public async Task CreateAsync(string name, int stripeWidth, int blockSize, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateName(name);
        if (stripeWidth < 1)
        {
            throw PfsErrors.InvalidArgument($"stripe width {stripeWidth} must be at least 1");
        }

        if (BlockSizes.Validate(blockSize) is { } problem)
        {
            throw PfsErrors.InvalidArgument(problem);
        }

        using var activity = PfsTelemetry.Source.StartActivity("pfs.create");
        activity?.SetTag("pfs.file", name);
        await CallMetaAsync($"create '{name}'", () => _meta.CreateAsync(
            new CreateRequest { Name = name, StripeWidth = stripeWidth, BlockSize = blockSize },
            Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a file, waiting while a conflicting lock is held (a writer excludes everyone, readers
    /// share). Cancelling the token while waiting leaves nothing held.
    /// </summary>
    public async Task<PfsFile> OpenAsync(string name, PfsOpenMode mode, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateName(name);
        var lockMode = mode switch
        {
            PfsOpenMode.Read => LockMode.Read,
            PfsOpenMode.Write => LockMode.Write,
            _ => throw PfsErrors.InvalidArgument($"unknown open mode {mode}"),
        };

        using var activity = PfsTelemetry.Source.StartActivity("pfs.open");
        activity?.SetTag("pfs.file", name);
        activity?.SetTag("pfs.mode", mode.ToString());
        var openId = (ulong)Interlocked.Increment(ref _nextOpenId);
        var started = Stopwatch.GetTimestamp();
        var reply = await LockingCallAsync($"open '{name}'", openId, () => _meta.OpenAsync(
            new OpenRequest { ClientId = Options.ClientId, OpenId = openId, Name = name, Mode = lockMode },
            cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("pfs.lock.wait_ms", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        PfsMetrics.RecordLockWait(started, mode);

        try
        {
            // Notices about writes that finished before this open may still be in flight: wait
            // for them, or if that cannot be known, forget what is cached of this file.
            if (!await CatchUpAsync(reply.SessionId, reply.NoticeSeq).ConfigureAwait(false))
            {
                Cache.DropFile(reply.File.FileId);
            }

            var layout = Layout(reply.File, reply.Capability);
            if (reply.Fence)
            {
                // The last writer did not close cleanly: shut out any late write of it first.
                await Transport.FenceAsync(layout, cancellationToken).ConfigureAwait(false);
            }

            var file = new PfsFile(this, layout, reply.Handle, mode, reply.File.Size) { ServerInstance = reply.ServerInstance };
            _openFiles.TryAdd(file, 0);
            return file;
        }
        catch
        {
            await ReleaseQuietlyAsync(openId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits for exclusive access like a writer, then removes the file and its blocks on every
    /// file server. Others waiting for the file then get <see cref="PfsErrorCode.NotFound"/>.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateName(name);
        using var activity = PfsTelemetry.Source.StartActivity("pfs.delete");
        activity?.SetTag("pfs.file", name);
        var openId = (ulong)Interlocked.Increment(ref _nextOpenId);
        var reply = await LockingCallAsync($"delete '{name}'", openId, () => _meta.DeleteAsync(
            new DeleteRequest { ClientId = Options.ClientId, OpenId = openId, Name = name },
            cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);

        Cache.DropFile(reply.File.FileId);
        try
        {
            // The name is gone already; stripe objects are keyed by generation, so one left behind
            // by an unreachable server can never show through a re-created file.
            await Transport.DeleteAsync(Layout(reply.File, reply.Capability), cancellationToken).ConfigureAwait(false);
        }
        catch (PfsException ex)
        {
            Log.OrphanedBlocks(_logger, name, ex.Message);
        }
    }

    /// <summary>What the registry knows about a file, as of the last writer's close.</summary>
    public async Task<PfsFileInfo> StatAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateName(name);
        var reply = await CallMetaAsync($"stat '{name}'", () => _meta.StatAsync(
            new StatRequest { Name = name }, Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.File);
    }

    /// <summary>Every file in the (flat) namespace, by name.</summary>
    public async Task<IReadOnlyList<PfsFileInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var reply = await CallMetaAsync("list", () => _meta.ListAsync(
            new ListRequest(), Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        return reply.Files.Select(ToInfo).ToList();
    }

    /// <summary>Closes every open file (flushing it), then ends the invalidation stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Exception? failure = null;
        PfsOpenMode? failedMode = null;
        foreach (var file in _openFiles.Keys)
        {
            try
            {
                await file.CloseAsync().ConfigureAwait(false);
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.Closed && file.Mode == PfsOpenMode.Read)
            {
                // A reader whose open the metadata server no longer holds (it restarted, or the
                // lease ran out) had nothing to flush: it is closed now, and nothing was lost.
                Log.CloseOnDisposeFailed(_logger, file.Name, ex.Message);
            }
            catch (Exception ex) when (ex is PfsException or OperationCanceledException)
            {
                Log.CloseOnDisposeFailed(_logger, file.Name, ex.Message);
                failure ??= ex;
                failedMode ??= file.Mode;
            }
        }

        PfsMetrics.Untrack(this);
        await _disposing.CancelAsync().ConfigureAwait(false);
        await StopNoticesAsync().ConfigureAwait(false);
        _pool.Dispose();
        _metaChannel.Dispose();
        _disposing.Dispose();
        if (failure is not null)
        {
            throw new PfsException(PfsErrorCode.Unavailable, $"closing open files failed ({failedMode} open): {failure.Message}", failure);
        }
    }

    internal void Forget(PfsFile file) => _openFiles.TryRemove(file, out _);

    /// <summary>The way an open of <paramref name="layout"/> sends blocks to the file servers.</summary>
    internal BlockWriter CreateWriter(FileLayout layout) => new(Cache, Transport, _writeBackCounters, layout, Options, _logger);

    internal static PfsFileInfo ToInfo(FileInfo file) => new(
        file.Name,
        file.Size,
        DateTimeOffset.FromUnixTimeMilliseconds(file.CreatedUnixMs),
        DateTimeOffset.FromUnixTimeMilliseconds(file.ModifiedUnixMs),
        file.Recipe.StripeWidth,
        file.Recipe.BlockSize);

    internal static void ValidateName(string name)
    {
        if (PfsNames.Validate(name) is { } problem)
        {
            throw PfsErrors.InvalidArgument(problem);
        }
    }

    private FileLayout Layout(FileInfo file, Capability capability) =>
        new(file.Name, file.FileId, file.Recipe.BlockSize, file.Recipe.Servers.Select(_pool.Get).ToList(), capability);

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new PfsException(PfsErrorCode.Closed, "this PfsClient has been disposed");
        }
    }

    private static void ValidateOptions(PfsClientOptions options)
    {
        if (PfsClientOptionsValidator.Instance.Validate(name: null, options) is { Failed: true } result)
        {
            throw PfsErrors.InvalidArgument(result.FailureMessage);
        }
    }
}
