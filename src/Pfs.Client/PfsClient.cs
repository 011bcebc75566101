using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Client.Caching;
using Pfs.Client.Diagnostics;
using Pfs.Client.Security;
using Pfs.Client.Transport;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;
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
    private readonly ClientAuthentication? _authentication;
    private readonly MetaPipe? _pipe;
    private readonly ConcurrentDictionary<PfsFile, byte> _openFiles = new();
    private readonly BlockWriter.Counters _writeBackCounters = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly ILogger _logger;
    // Replaced whole (never changed in place) when a Hello brings a session token: calls in flight keep theirs.
    private volatile Metadata? _callHeaders;
    private byte[] _sessionToken;
    private long _nextOpenId;
    private int _disposed;

    private PfsClient(PfsClientOptions options)
    {
        Options = options;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PfsClient>();
        // Its own session token from the start: every call carries it, and the metadata server binds
        // the client id to it at the first Subscribe (again after a restart), so no call is ever
        // sent with a token the server does not know yet.
        _sessionToken = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        _callHeaders = CallHeaders(options.ClientId, _sessionToken);
        var key = ClientKeys.Resolve(options);
        _metaChannel = ChannelFactory.Create(options.MetaServer, options);
        _authentication = key is not null
            ? new ClientAuthentication(key, _metaChannel.CreateCallInvoker(), options.OperationTimeout, options.MetaServer)
            : null;
        var invoker = _authentication is null ? _metaChannel.CreateCallInvoker() : _metaChannel.Intercept(_authentication);
        _meta = new MetaService.MetaServiceClient(invoker);
        _capabilities = new CapabilityService.CapabilityServiceClient(invoker);
        _pipe = options.NamespaceStream ? new MetaPipe(_meta, _metaChannel, () => _callHeaders, _authentication, options.OperationTimeout) : null;
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

    /// <summary>Whether this client's identity may make no change (false without authentication); the mount mounts read-only then.</summary>
    internal bool IdentityIsReadOnly => _authentication?.ReadOnly ?? false;

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
            if (client._authentication is { } authentication)
            {
                await authentication.AuthenticateAsync(cancellationToken).ConfigureAwait(false);
            }

            await client.StartNoticesAsync(cancellationToken).ConfigureAwait(false);
            client.StartRenewals();
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
        CreateAsync(name, new PfsCreateOptions { StripeWidth = stripeWidth }, cancellationToken);

    /// <summary>Creates an empty file with a chosen block (stripe unit) size: a power of two from 512 B to 64 MiB.</summary>
    public Task CreateAsync(string name, int stripeWidth, int blockSize, CancellationToken cancellationToken = default) =>
        CreateAsync(name, new PfsCreateOptions { StripeWidth = stripeWidth, BlockSize = blockSize }, cancellationToken);

    /// <summary>
    /// Opens a file, waiting while a conflicting lock is held (a writer excludes everyone, readers
    /// share). Cancelling the token while waiting leaves nothing held. A directory is
    /// <see cref="PfsErrorCode.IsADirectory"/>; the root or a symbolic link is <see cref="PfsErrorCode.InvalidArgument"/>.
    /// </summary>
    public Task<PfsFile> OpenAsync(string name, PfsOpenMode mode, CancellationToken cancellationToken = default)
    {
        ValidateEntryPath(name, "opened");
        return OpenAtAsync(0, name, mode, cancellationToken);
    }

    /// <summary>
    /// Waits for exclusive access like a writer, then removes the name; a file whose last name that was is
    /// gone, and its blocks are removed from every file server. Others waiting for the file then get
    /// <see cref="PfsErrorCode.NotFound"/>. A directory is <see cref="PfsErrorCode.IsADirectory"/>.
    /// </summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(name, "deleted");
        using var activity = PfsTelemetry.Source.StartActivity("pfs.delete");
        activity?.SetTag("pfs.file", name);
        var openId = (ulong)Interlocked.Increment(ref _nextOpenId);
        var reply = await LockingCallAsync($"delete '{name}'", openId, () => _meta.DeleteAsync(
            new DeleteRequest { ClientId = Options.ClientId, OpenId = openId, Name = name },
            Unbounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);

        // The metadata server's reclaimer removes the stripe objects; stripe objects are keyed by
        // generation, so nothing of them can ever show through a re-created file.
        Cache.DropFile(reply.File.FileId);
    }

    /// <summary>What the metadata server knows about a file, directory or symbolic link (a file's size as of its last writer's close).</summary>
    public Task<PfsFileInfo> StatAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidatePath(name);
        return StatAtAsync(0, name, cancellationToken);
    }

    /// <summary>Every entry of the root directory, by name (the first version's flat listing).</summary>
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
        await DamageReportsSentAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        await StopNoticesAsync().ConfigureAwait(false);
        await StopRenewalsAsync().ConfigureAwait(false);
        if (_pipe is not null)
        {
            await _pipe.DisposeAsync().ConfigureAwait(false);
        }

        _pool.Dispose();
        _metaChannel.Dispose();
        _authentication?.Dispose();
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
        file.Recipe?.StripeWidth ?? 0,
        file.Recipe?.BlockSize ?? 0)
    {
        Kind = file.Kind switch
        {
            NodeKind.Directory => PfsEntryKind.Directory,
            NodeKind.Symlink => PfsEntryKind.SymbolicLink,
            _ => PfsEntryKind.File,
        },
        ParityBlocks = file.Recipe?.ParityBlocks ?? 0,
        // Empty stays the shared empty list, so two infos of one unchanged file compare equal.
        StalePositions = file.StalePositions.Count == 0 ? [] : [.. file.StalePositions],
        Inode = file.FileId,
        Mode = file.Mode,
        Uid = file.Uid,
        Gid = file.Gid,
        LinkCount = file.LinkCount,
        Accessed = DateTimeOffset.FromUnixTimeMilliseconds(file.AccessedUnixMs),
        Changed = DateTimeOffset.FromUnixTimeMilliseconds(file.ChangedUnixMs),
        Target = file.Kind == NodeKind.Symlink ? file.Target : null,
    };

    /// <summary>A valid path (the root included), or <see cref="PfsErrorCode.InvalidArgument"/>.</summary>
    internal static void ValidatePath(string path)
    {
        if (PfsPaths.Validate(path) is { } problem)
        {
            throw PfsErrors.InvalidArgument(problem);
        }
    }

    /// <summary>A valid path that names an entry, not the root (which cannot be <paramref name="what"/>).</summary>
    internal static void ValidateEntryPath(string path, string what)
    {
        if (!PfsPaths.TrySplit(path, out var components, out var problem))
        {
            throw PfsErrors.InvalidArgument(problem!);
        }

        if (components.Length == 0)
        {
            throw PfsErrors.InvalidArgument($"the root directory cannot be {what}");
        }
    }

    // M = 0: the first K servers, as in version 1. M > 0: all K + M positions (see ErasureMath).
    private FileLayout Layout(FileInfo file, Capability capability)
    {
        var parity = file.Recipe.ParityBlocks;
        var servers = file.Recipe.Servers.Take(file.Recipe.StripeWidth + parity).Select(_pool.Get).ToList();
        var layout = new FileLayout(file.Name, file.FileId, file.Recipe.BlockSize, servers, capability, parity, file.StalePositions)
        {
            DamageSink = ReportDamageInBackground,
        };
        layout.SetCommittedSize(file.Size);
        return layout;
    }

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
