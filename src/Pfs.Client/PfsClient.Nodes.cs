using System.Diagnostics;
using Pfs.Client.Diagnostics;
using Pfs.Client.Transport;
using Pfs.Protocol;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// The namespace calls addressed by (base inode, path relative to it), as the FUSE mount makes them (a
/// parent inode and one name; "" with a node's inode for the node itself). Base 0 is the root, so the
/// public calls are these with base 0. Internal: the mount and the tests see them (InternalsVisibleTo).
/// </summary>
public sealed partial class PfsClient
{
    internal async Task<PfsFileInfo> StatAtAsync(ulong baseInode, string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidatePath(path);
        var reply = await StatCallAsync($"stat '{path}'", new StatRequest { Base = baseInode, Name = path }, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.File);
    }

    internal async Task<PfsFileInfo> CreateAtAsync(ulong baseInode, string path, PfsCreateOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(options);
        ValidateEntryPath(path, "created");
        if (options.StripeWidth < 1)
        {
            throw PfsErrors.InvalidArgument($"stripe width {options.StripeWidth} must be at least 1");
        }

        if (options.ParityBlocks < 0)
        {
            throw PfsErrors.InvalidArgument($"parity blocks {options.ParityBlocks} must not be negative");
        }

        if (BlockSizes.Validate(options.BlockSize) is { } problem)
        {
            throw PfsErrors.InvalidArgument(problem);
        }

        using var activity = PfsTelemetry.Source.StartActivity("pfs.create");
        activity?.SetTag("pfs.file", path);
        var request = new CreateRequest
        {
            Base = baseInode,
            Name = path,
            StripeWidth = options.StripeWidth,
            BlockSize = options.BlockSize,
            ParityBlocks = options.ParityBlocks,
            Uid = options.Uid,
            Gid = options.Gid,
        };
        if (options.Mode is { } mode)
        {
            request.Mode = mode;
        }

        var reply = await CreateCallAsync($"create '{path}'", request, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.File);
    }

    internal async Task<PfsFileInfo> CreateDirectoryAtAsync(ulong baseInode, string path, uint? mode = null, uint uid = 0, uint gid = 0,
                                                            CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(path, "created");
        var request = new MakeDirectoryRequest { Base = baseInode, Path = path, Uid = uid, Gid = gid };
        if (mode is { } bits)
        {
            request.Mode = bits;
        }

        var reply = await MakeDirectoryCallAsync($"create directory '{path}'", request, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.Node);
    }

    internal async Task<PfsFileInfo> DeleteDirectoryAtAsync(ulong baseInode, string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(path, "deleted");
        var reply = await RemoveDirectoryCallAsync($"delete directory '{path}'", new RemoveDirectoryRequest { Base = baseInode, Path = path }, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.Node);
    }

    internal async Task<PfsFileInfo> UnlinkAtAsync(ulong baseInode, string path, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(path, "unlinked");
        var reply = await UnlinkCallAsync($"unlink '{path}'", new UnlinkRequest { Base = baseInode, Path = path }, cancellationToken).ConfigureAwait(false);

        // Its clean cached blocks are of no more use unless this client still has it open.
        var fileId = reply.Node.FileId;
        // (Enumerating the dictionary itself takes no lock; its Keys would take every lock and copy them all.)
        if (reply.Node.Kind == NodeKind.File && !_openFiles.Any(open => open.Key.Layout.FileId == fileId))
        {
            Cache.DropFile(fileId);
        }

        return ToInfo(reply.Node);
    }

    internal async Task<(PfsFileInfo Moved, PfsFileInfo? Replaced)> RenameAtAsync(ulong fromBase, string from, ulong toBase, string to,
                                                                                   bool noReplace = false, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(from, "renamed");
        ValidateEntryPath(to, "replaced");
        var reply = await RenameCallAsync($"rename '{from}' to '{to}'", new RenameRequest { FromBase = fromBase, From = from, ToBase = toBase, To = to, NoReplace = noReplace }, cancellationToken).ConfigureAwait(false);
        return (ToInfo(reply.Node), reply.Replaced is null ? null : ToInfo(reply.Replaced));
    }

    internal async Task<PfsFileInfo> CreateHardLinkAtAsync(ulong existingBase, string existing, ulong baseInode, string path,
                                                           CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidatePath(existing);
        ValidateEntryPath(path, "created");
        var reply = await LinkCallAsync($"link '{path}' to '{existing}'", new LinkRequest { ExistingBase = existingBase, Existing = existing, Base = baseInode, Path = path }, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.Node);
    }

    internal async Task<PfsFileInfo> CreateSymbolicLinkAtAsync(ulong baseInode, string path, string target, uint uid = 0, uint gid = 0,
                                                               CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(path, "created");
        if (string.IsNullOrEmpty(target) || target.Contains('\0', StringComparison.Ordinal) || target.Length > PfsPaths.MaxPathBytes)
        {
            throw PfsErrors.InvalidArgument($"a symbolic link's target must be 1 to {PfsPaths.MaxPathBytes} UTF-8 bytes without NUL");
        }

        var reply = await SymlinkCallAsync($"create symbolic link '{path}'", new SymlinkRequest { Base = baseInode, Path = path, Target = target, Uid = uid, Gid = gid }, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.Node);
    }

    internal async Task<PfsFileInfo> SetAttributesAtAsync(ulong baseInode, string path, PfsAttributeChanges changes, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(changes);
        ValidatePath(path);
        var request = new SetAttributesRequest { Base = baseInode, Path = path, AccessedNow = changes.AccessedNow, ModifiedNow = changes.ModifiedNow };
        if (changes.Mode is { } mode)
        {
            request.Mode = mode;
        }

        if (changes.Uid is { } uid)
        {
            request.Uid = uid;
        }

        if (changes.Gid is { } gid)
        {
            request.Gid = gid;
        }

        if (changes.Accessed is { } accessed)
        {
            request.AccessedUnixMs = accessed.ToUnixTimeMilliseconds();
        }

        if (changes.Modified is { } modified)
        {
            request.ModifiedUnixMs = modified.ToUnixTimeMilliseconds();
        }

        var reply = await SetAttributesCallAsync($"set attributes of '{path}'", request, cancellationToken).ConfigureAwait(false);
        return ToInfo(reply.Node);
    }

    /// <summary>One page of a directory, after the name <paramref name="after"/>; the cursor for the next page is the last entry's name.</summary>
    internal async Task<(IReadOnlyList<PfsFileInfo> Entries, string Cursor, bool More)> ListPageAtAsync(
        ulong baseInode, string path, string after, int limit = 0, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidatePath(path);
        var reply = await CallMetaAsync($"list '{path}'", () => _meta.ListDirectoryAsync(
            new ListDirectoryRequest { Base = baseInode, Path = path, After = after, Limit = limit }, Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        var entries = reply.Entries.Select(ToInfo).ToList();
        var cursor = entries.Count > 0 ? PfsPaths.SplitLast(entries[^1].Name).Name : after;
        return (entries, cursor, reply.More && entries.Count > 0);
    }

    /// <summary>Opens the file a path (relative to <paramref name="baseInode"/>) names, or with "" the file <paramref name="baseInode"/> itself.</summary>
    internal async Task<PfsFile> OpenAtAsync(ulong baseInode, string path, PfsOpenMode mode, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidatePath(path);
        var lockMode = mode switch
        {
            PfsOpenMode.Read => LockMode.Read,
            PfsOpenMode.Write => LockMode.Write,
            _ => throw PfsErrors.InvalidArgument($"unknown open mode {mode}"),
        };

        using var activity = PfsTelemetry.Source.StartActivity("pfs.open");
        activity?.SetTag("pfs.file", path);
        activity?.SetTag("pfs.mode", mode.ToString());
        var openId = (ulong)Interlocked.Increment(ref _nextOpenId);
        var started = Stopwatch.GetTimestamp();
        var reply = await LockingCallAsync($"open '{path}'", openId, () => _meta.OpenAsync(
            new OpenRequest { ClientId = Options.ClientId, OpenId = openId, Base = baseInode, Name = path, Mode = lockMode },
            Unbounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);
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

            var file = new PfsFile(this, layout, reply.Handle, mode, reply.File.Size) { ServerInstance = reply.ServerInstance, OpenId = openId };
            _openFiles.TryAdd(file, 0);
            return file;
        }
        catch
        {
            await ReleaseQuietlyAsync(openId).ConfigureAwait(false);
            throw;
        }
    }
}
