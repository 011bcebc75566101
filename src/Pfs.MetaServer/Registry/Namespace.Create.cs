using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;
using Pfs.Protocol;

namespace Pfs.MetaServer.Registry;

/// <summary>New names: files, directories, symbolic links, and hard links to existing files.</summary>
internal sealed partial class Namespace
{
    /// <summary>Most parity blocks a file may have.</summary>
    public const int MaxParityBlocks = 4;

    private const uint DefaultFileMode = 0x1A4; // 0644
    private const uint DefaultDirectoryMode = 0x1ED; // 0755
    private const uint SymlinkMode = 0x1FF; // 0777

    /// <summary>Creates an empty file; exactly one of several concurrent creates of a name wins.</summary>
    /// <exception cref="MetaException">InvalidArgument, NotFound, NotADirectory, AlreadyExists or Unavailable.</exception>
    public async Task<NodeView> CreateFileAsync(ulong baseId, string path, FileSpec spec, string? actor, CancellationToken cancellationToken = default)
    {
        EnsureLoaded();
        var blockSize = spec.BlockSize == 0 ? BlockSizes.Default : spec.BlockSize;
        if (spec.StripeWidth < 1 || spec.ParityBlocks < 0 || spec.ParityBlocks > MaxParityBlocks
            || spec.StripeWidth > _fileServers.Count - spec.ParityBlocks)
        {
            throw MetaException.InvalidArgument(
                $"stripe width {spec.StripeWidth} and parity {spec.ParityBlocks} must have width >= 1, parity from 0 to {MaxParityBlocks}, and width + parity at most {_fileServers.Count} (the number of file servers)");
        }

        if (BlockSizes.Validate(blockSize) is { } blockError)
        {
            throw MetaException.InvalidArgument(blockError);
        }

        var id = await NewIdAsync(cancellationToken).ConfigureAwait(false);
        var servers = _fileServers.Take(spec.StripeWidth + spec.ParityBlocks).ToArray();
        return await CreateAsync(baseId, path, actor, (now, link) => new FileNode
        {
            Id = id,
            Mode = (spec.Mode ?? DefaultFileMode) & Node.ModeMask,
            Uid = spec.Uid,
            Gid = spec.Gid,
            Created = now,
            Modified = now,
            Changed = now,
            Accessed = now,
            Links = [link],
            BlockSize = blockSize,
            StripeWidth = spec.StripeWidth,
            ParityBlocks = spec.ParityBlocks,
            Servers = servers,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates an empty directory.</summary>
    public async Task<NodeView> MakeDirectoryAsync(ulong baseId, string path, uint? mode, uint uid, uint gid, string? actor, CancellationToken cancellationToken = default)
    {
        EnsureLoaded();
        var id = await NewIdAsync(cancellationToken).ConfigureAwait(false);
        return await CreateAsync(baseId, path, actor, (now, link) => new DirectoryNode
        {
            Id = id,
            Parent = link.Parent,
            Name = link.Name,
            Mode = (mode ?? DefaultDirectoryMode) & Node.ModeMask,
            Uid = uid,
            Gid = gid,
            Created = now,
            Modified = now,
            Changed = now,
            Accessed = now,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates a symbolic link holding <paramref name="target"/> (1 to 4096 UTF-8 bytes, no NUL; never followed).</summary>
    public async Task<NodeView> SymlinkAsync(ulong baseId, string path, string target, uint uid, uint gid, string? actor, CancellationToken cancellationToken = default)
    {
        EnsureLoaded();
        if (string.IsNullOrEmpty(target) || target.Length > PfsPaths.MaxPathBytes || target.Contains('\0', StringComparison.Ordinal)
            || !IsValidUnicode(target) || System.Text.Encoding.UTF8.GetByteCount(target) > PfsPaths.MaxPathBytes)
        {
            throw MetaException.InvalidArgument($"a symbolic link's target must be 1 to {PfsPaths.MaxPathBytes} UTF-8 bytes of valid Unicode without NUL");
        }

        var id = await NewIdAsync(cancellationToken).ConfigureAwait(false);
        return await CreateAsync(baseId, path, actor, (now, link) => new SymlinkNode
        {
            Id = id,
            Target = target,
            Mode = SymlinkMode,
            Uid = uid,
            Gid = gid,
            Created = now,
            Modified = now,
            Changed = now,
            Accessed = now,
            Links = [link],
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A second name for an existing file or symbolic link (a directory: IsADirectory).</summary>
    public Task<NodeView> LinkAsync(ulong existingBase, string existing, ulong baseId, string path, string? actor, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var source = Resolve(existingBase, existing);
            var node = source.Node switch
            {
                null => throw MetaException.NotFound(source.Path),
                DirectoryNode => throw MetaException.IsADirectory(source.Path),
                LinkedNode { Links.Count: 0 } => throw MetaException.NotFound($"inode {source.Node.Id} (it has no name left)"),
                LinkedNode linked => linked,
                _ => throw MetaException.InvalidArgument($"'{source.Path}' cannot be linked"),
            };
            var (target, parent) = ReserveFreeName(reservation, baseId, path);
            reservation.Nodes.Add(node.Id);
            var now = Now();
            var changed = node with { Changed = Later(node.Changed, now) };
            var change = new StoreChange()
                .SetEntry(parent.Id, target.Name, node.Id)
                .SetNode(node.Id, NodeFields.ChangedTime(changed))
                .SetNode(parent.Id, EntryTimes(parent, now));
            return new Plan<NodeView>(change, "link", target.Path, CrashPoints.CreateStored, () =>
            {
                parent.Entries.Add(target.Name, node.Id);
                TouchDirectory(parent.Id, now);
                var current = (LinkedNode)_nodes[node.Id];
                var linked = current with { Changed = Later(current.Changed, now), Links = [.. current.Links, new NodeLink(parent.Id, target.Name)] };
                _nodes[node.Id] = linked;
                return View(linked, target.Path);
            }, view =>
            {
                _notices.EntryChanged(parent.Id, target.Name, 0, actor);
                _notices.NodeChanged(node.Id, actor);
            });
        }, cancellationToken);

    /// <summary>Under the gate, planning: the free name <paramref name="path"/> names, reserved with its directory; AlreadyExists if it is taken.</summary>
    private (Resolved Target, DirectoryNode Parent) ReserveFreeName(Reservation reservation, ulong baseId, string path)
    {
        var target = ResolveEntry(baseId, path, "created");
        if (target.Node is not null)
        {
            throw MetaException.AlreadyExists(target.Path);
        }

        var parent = target.Parent!;
        reservation.Names.Add((parent.Entries, target.Name));
        reservation.Into.Add(parent.Entries);
        return (target, parent);
    }

    /// <summary>Adds a new node under a free name (the node built once the parent is known).</summary>
    private Task<NodeView> CreateAsync(ulong baseId, string path, string? actor, Func<DateTimeOffset, NodeLink, Node> build, CancellationToken cancellationToken) =>
        MutateAsync(reservation =>
        {
            var (target, parent) = ReserveFreeName(reservation, baseId, path);
            var now = Now();
            var node = build(now, new NodeLink(parent.Id, target.Name));
            if (_nodes.ContainsKey(node.Id))
            {
                // Never write over a live node: the store lost its inode counter (a Garnet run as a cache evicts keys).
                throw MetaException.Unavailable(
                    $"the metadata store handed out inode {node.Id}, which is in use: it has lost its inode counter (data evicted or reset?); nothing was written");
            }

            var change = new StoreChange()
                .SetNode(node.Id, NodeFields.All(node))
                .SetEntry(parent.Id, target.Name, node.Id)
                .SetNode(parent.Id, EntryTimes(parent, now));
            return new Plan<NodeView>(change, "create", target.Path, CrashPoints.CreateStored, () =>
            {
                _nodes.Add(node.Id, node);
                parent.Entries.Add(target.Name, node.Id);
                if (node is DirectoryNode)
                {
                    parent.Entries.Subdirectories++;
                }
                else if (node is FileNode)
                {
                    // Before any open can find it (we hold the gate).
                    _epochs.Created(node.Id);
                }

                TouchDirectory(parent.Id, now);
                return View(node, target.Path);
            }, _ => _notices.EntryChanged(parent.Id, target.Name, 0, actor));
        }, cancellationToken);

    private async Task<ulong> NewIdAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _ids.NextAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not MetaException)
        {
            LogStoreFailed(_logger, "allocate an inode for", "a new node", ex);
            throw MetaException.StoreUnavailable(ex);
        }
    }

    private static bool IsValidUnicode(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>What a new file is made of: <c>PfsCreateOptions</c> as the server gets it (block size 0: the default).</summary>
internal readonly record struct FileSpec(int StripeWidth, int BlockSize, int ParityBlocks, uint? Mode, uint Uid, uint Gid);
