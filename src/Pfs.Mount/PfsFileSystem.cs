using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>
/// A Pfs cluster as a FUSE file system: node id = Pfs inode (the root is 1), every operation one
/// or two calls of the client addressed by (parent inode, name). Names and attributes are cached
/// by the kernel for <see cref="PfsMountOptions.CacheTimeout"/>, file pages for as long as it
/// likes; other clients' changes drop them through the notices (<see cref="NoticeBridge"/>).
/// </summary>
internal sealed partial class PfsFileSystem : FuseFileSystem
{
    internal static readonly ActivitySource Source = new(PfsMount.ActivitySourceName);
    private const int MaxNameBytes = 255;
    private readonly PfsClient _client;
    private readonly PfsMountOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _nodeLock = new();
    private readonly Dictionary<ulong, MountNode> _nodes = [];
    private readonly ConcurrentDictionary<ulong, FileHandle> _handles = new();
    private readonly ConcurrentDictionary<ulong, DirectoryListing> _listings = new();
    // Opens whose last descriptor went but whose close failed: closed again in the background (RetryClose).
    private readonly ConcurrentDictionary<SharedOpen, MountNode> _unclosed = new();
    // Set when the session is over: retried closes stop (CloseAllAsync tries each once more).
    private volatile bool _stopping;
    private long _nextHandle;
    private long _bytesRead;

    public PfsFileSystem(PfsClient client, NoticeBridge notices, PfsMountOptions options, int stripeWidth, ILogger logger)
    {
        _client = client;
        Notices = notices;
        _options = options;
        _logger = logger;
        StripeWidth = stripeWidth;
    }

    public NoticeBridge Notices { get; }

    public int StripeWidth { get; }

    /// <summary>Bytes answered to READ requests so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    private TimeSpan Timeout => _options.CacheTimeout;

    /// <summary>The node the kernel knows by <paramref name="inode"/>, if it holds one.</summary>
    public MountNode? FindNode(ulong inode)
    {
        lock (_nodeLock)
        {
            return _nodes.GetValueOrDefault(inode);
        }
    }

    public override void Forget(ulong nodeId, ulong count)
    {
        lock (_nodeLock)
        {
            if (_nodes.TryGetValue(nodeId, out var node))
            {
                node.Lookups -= (long)count;
                if (node.Lookups <= 0 && node.Open is null && node.Closing is null && nodeId != RootId)
                {
                    _nodes.Remove(nodeId);
                }
            }
        }
    }

    public override async ValueTask<FuseAttrReply> GetAttrAsync(FuseContext context, ulong nodeId, ulong? handle)
    {
        try
        {
            var info = await StatNodeAsync(nodeId, CancellationToken.None).ConfigureAwait(false);
            return new FuseAttrReply(ToAttr(info), Timeout);
        }
        catch (FuseException ex) when (ex.Errno == Errno.ENOENT)
        {
            throw Stale(ex);
        }
    }

    /// <summary>
    /// For a node the kernel reached through a name it had cached, and which is gone: a rename replaced that name (or
    /// an unlink took it) since the kernel's lookup. ESTALE, not ENOENT, makes the kernel walk the path once more with
    /// a fresh lookup, so open(2) or stat(2) of a name that a rename replaces finds the old file or the new one, never
    /// neither, as on a local file system (and still gets ENOENT if the name is gone).
    /// </summary>
    private static FuseException Stale(FuseException gone) => new(Errno.ESTALE, gone.Message);

    public override async ValueTask<FuseStatFs> StatFsAsync(FuseContext context, ulong nodeId)
    {
        var capacity = await Errors.Map(() => _client.GetCapacityAsync(CancellationToken.None)).ConfigureAwait(false);
        const uint unit = 4096;
        return new FuseStatFs
        {
            BlockSize = 1 << 20,
            FragmentSize = unit,
            Blocks = (ulong)(capacity.TotalBytes / unit),
            BlocksFree = (ulong)(capacity.FreeBytes / unit),
            BlocksAvailable = (ulong)(capacity.AvailableBytes / unit),
            Files = 1UL << 40,
            FilesFree = 1UL << 40,
            NameLength = MaxNameBytes,
        };
    }

    /// <summary>The first wait before a failed close is tried again; each later wait doubles, up to <see cref="CloseRetryMost"/>.</summary>
    internal static readonly TimeSpan CloseRetryFirst = TimeSpan.FromMilliseconds(500);

    internal static readonly TimeSpan CloseRetryMost = TimeSpan.FromSeconds(5);

    /// <summary>How long an attribute read waits for a close in progress before it asks the metadata server anyway.</summary>
    private static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(5);

    /// <summary>Closes every Pfs open (flushing writers), those whose close is being retried once more; the session is over.</summary>
    public async Task CloseAllAsync()
    {
        _stopping = true;
        List<SharedOpen> opens;
        lock (_nodeLock)
        {
            opens = [.. _nodes.Values.Select(n => n.Open).OfType<SharedOpen>().Concat(_unclosed.Keys).Distinct()];
        }

        foreach (var open in opens)
        {
            try
            {
                await open.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                Log.CloseFailed(_logger, 0, ex);
            }
        }
    }

    private bool HasOpenOrClosing(MountNode node)
    {
        lock (_nodeLock)
        {
            return node.Open is not null || node.Closing is not null;
        }
    }

    /// <summary>Waits (a bounded time) for <paramref name="settling"/>, a close in progress; its failure is its closer's to report.</summary>
    private static async Task SettledAsync(Task settling)
    {
        try
        {
            await settling.WaitAsync(SettleWait).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or OperationCanceledException)
        {
            // Its closer reports the failure; the metadata server's answer is the best there is.
        }
    }

    /// <summary>The attributes of a node: through its open file when it has one (a writer's own view of the size), else from the metadata server.</summary>
    private async Task<PfsFileInfo> StatNodeAsync(ulong nodeId, CancellationToken cancellationToken)
    {
        try
        {
            var node = FindNode(nodeId);
            for (var look = 0; look < 2; look++)
            {
                SharedOpen? shared, closing;
                lock (_nodeLock)
                {
                    (shared, closing) = (node?.Open, node?.Closing);
                }

                // A close that failed puts its open back (its writes kept): look again after a wait.
                var open = shared?.Current ?? closing?.Current;
                if (open is not null)
                {
                    try
                    {
                        return await open.StatAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (PfsException ex) when (ex.Code == PfsErrorCode.Closed)
                    {
                        // Committed meanwhile: ask by inode below.
                    }
                }

                // A close in progress (a commit, or the RELEASE after close(2)) tells the metadata server the new size only
                // when it ends: asked before, the server's answer would be the old size, and the kernel would keep it.
                Task[] settling = [.. new[] { shared?.Settling, closing?.Settling }.OfType<Task>().Where(task => !task.IsCompleted)];
                if (look > 0 || settling.Length == 0)
                {
                    break;
                }

                await SettledAsync(Task.WhenAll(settling)).ConfigureAwait(false);
            }

            var info = await _client.StatAtAsync(nodeId, string.Empty, cancellationToken).ConfigureAwait(false);
            Remember(info, lookups: 0);
            return info;
        }
        catch (PfsException ex)
        {
            throw Errors.ToFuse(ex);
        }
    }

    /// <summary>The entry of a node that is handed to the kernel (adds one to its lookup count).</summary>
    private FuseEntry Entry(PfsFileInfo info)
    {
        Remember(info, lookups: 1);
        return new FuseEntry(info.Inode, ToAttr(info), Timeout, Timeout);
    }

    private MountNode Remember(PfsFileInfo info, long lookups)
    {
        lock (_nodeLock)
        {
            if (!_nodes.TryGetValue(info.Inode, out var node))
            {
                if (lookups == 0 && info.Inode != RootId)
                {
                    // Not held by the kernel: nothing to remember.
                    return new MountNode(info.Inode) { Kind = info.Kind, BlockSize = info.BlockSize };
                }

                node = new MountNode(info.Inode);
                _nodes[info.Inode] = node;
            }

            node.Kind = info.Kind;
            if (info.BlockSize > 0)
            {
                node.BlockSize = info.BlockSize;
            }

            node.Lookups += lookups;
            return node;
        }
    }

    private MountNode NodeFor(ulong nodeId)
    {
        lock (_nodeLock)
        {
            if (!_nodes.TryGetValue(nodeId, out var node))
            {
                node = new MountNode(nodeId) { Kind = nodeId == RootId ? PfsEntryKind.Directory : PfsEntryKind.File };
                _nodes[nodeId] = node;
            }

            return node;
        }
    }

    internal static FuseAttr ToAttr(PfsFileInfo info)
    {
        var type = info.Kind switch
        {
            PfsEntryKind.Directory => FuseMode.Directory,
            PfsEntryKind.SymbolicLink => FuseMode.Symlink,
            _ => FuseMode.Regular,
        };
        var size = (ulong)Math.Max(0, info.Size);
        return new FuseAttr
        {
            Ino = info.Inode,
            Size = size,
            Blocks = (size + 511) / 512,
            Mode = type | (info.Mode & FuseMode.PermissionMask),
            Nlink = info.LinkCount,
            Uid = info.Uid,
            Gid = info.Gid,
            Blksize = 1 << 20,
            AccessTime = FuseTime.FromDateTimeOffset(info.Accessed),
            ModifyTime = FuseTime.FromDateTimeOffset(info.Modified),
            ChangeTime = FuseTime.FromDateTimeOffset(info.Changed),
        };
    }

    /// <summary>Pfs names are at most 255 UTF-8 bytes; longer is ENAMETOOLONG, as on any Linux file system.</summary>
    private static void CheckName(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw new FuseException(Errno.ENAMETOOLONG);
        }
    }

    private static Activity? Start(string operation, ulong nodeId)
    {
        var activity = Source.StartActivity("pfs.fuse." + operation);
        activity?.SetTag("pfs.inode", nodeId);
        return activity;
    }

    private sealed record FileHandle(MountNode Node, SharedOpen Open, bool Writable);

    private sealed class DirectoryListing
    {
        public List<(string Name, ulong Inode, uint Mode)>? Entries { get; set; }
    }
}
