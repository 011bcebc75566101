using System.Collections.Concurrent;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>A file system that records what the binding parsed and answers from fixed data.</summary>
internal sealed class RecordingFileSystem : FuseFileSystem
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentQueue<(ulong NodeId, ulong Count)> Forgets { get; } = new();

    public FuseContext LastContext { get; private set; }

    public FuseSetAttr LastSetAttr { get; private set; }

    public byte[] LastWrite { get; private set; } = [];

    public byte[] FileData { get; init; } = [];

    public List<string> DirectoryNames { get; init; } = [];

    public TaskCompletionSource ReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ReadCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool BlockReads { get; init; }

    public bool Destroyed { get; private set; }

    public static FuseAttr FileAttr(ulong ino, long size) => new()
    {
        Ino = ino,
        Size = (ulong)size,
        Mode = FuseMode.Regular | 0x1A4,
        Nlink = 1,
        Uid = 7,
        Gid = 8,
    };

    public override void Destroy() => Destroyed = true;

    public override void Forget(ulong nodeId, ulong count) => Forgets.Enqueue((nodeId, count));

    public override ValueTask<FuseEntry> LookupAsync(FuseContext context, ulong parent, string name)
    {
        LastContext = context;
        Calls.Enqueue($"lookup {parent} {name}");
        if (name == "missing")
            throw new FuseException(Errno.ENOENT);
        if (name == "broken")
            throw new InvalidOperationException("a bug in the file system");
        return ValueTask.FromResult(new FuseEntry(42, FileAttr(42, 1234), TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(250)) { Generation = 3 });
    }

    public override ValueTask<FuseAttrReply> GetAttrAsync(FuseContext context, ulong nodeId, ulong? handle)
    {
        Calls.Enqueue($"getattr {nodeId} {handle?.ToString() ?? "-"}");
        return ValueTask.FromResult(new FuseAttrReply(FileAttr(nodeId, FileData.Length), TimeSpan.FromSeconds(2)));
    }

    public override ValueTask<FuseAttrReply> SetAttrAsync(FuseContext context, ulong nodeId, FuseSetAttr changes)
    {
        LastSetAttr = changes;
        var attr = FileAttr(nodeId, (long)changes.Size);
        attr.Mode = FuseMode.Regular | changes.Mode;
        return ValueTask.FromResult(new FuseAttrReply(attr, TimeSpan.Zero));
    }

    public override ValueTask<FuseEntry> SymlinkAsync(FuseContext context, ulong parent, string name, string target)
    {
        Calls.Enqueue($"symlink {parent} {name} -> {target}");
        return ValueTask.FromResult(new FuseEntry(43, FileAttr(43, target.Length), TimeSpan.Zero, TimeSpan.Zero));
    }

    public override ValueTask RenameAsync(FuseContext context, ulong parent, string name, ulong newParent, string newName, FuseRenameFlags flags)
    {
        Calls.Enqueue($"rename {parent} {name} {newParent} {newName} {flags}");
        return default;
    }

    public override async ValueTask<FuseCreateResult> CreateAsync(FuseContext context, ulong parent, string name, uint mode, uint umask, int flags)
    {
        // Completes asynchronously, to exercise the awaited path of the binding.
        await Task.Yield();
        Calls.Enqueue($"create {parent} {name} {mode:x} {umask:x} {flags:x}");
        return new FuseCreateResult(new FuseEntry(44, FileAttr(44, 0), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), 99, FuseOpenFlags.KeepCache);
    }

    public override async ValueTask<int> ReadAsync(FuseContext context, ulong nodeId, ulong handle, long offset, Memory<byte> buffer)
    {
        Calls.Enqueue($"read {nodeId} {handle} {offset} {buffer.Length}");
        if (BlockReads)
        {
            ReadStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                ReadCancelled.TrySetResult();
                throw;
            }
        }
        if (offset >= FileData.Length)
            return 0;
        var count = Math.Min(buffer.Length, FileData.Length - (int)offset);
        FileData.AsSpan((int)offset, count).CopyTo(buffer.Span);
        return count;
    }

    public override ValueTask<int> WriteAsync(FuseContext context, ulong nodeId, ulong handle, long offset, ReadOnlyMemory<byte> data, FuseWriteFlags flags)
    {
        Calls.Enqueue($"write {nodeId} {handle} {offset} {data.Length} {flags}");
        LastWrite = data.ToArray();
        return ValueTask.FromResult(data.Length);
    }

    public override ValueTask ReadDirAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryWriter writer)
    {
        for (var i = (int)offset; i < DirectoryNames.Count; i++)
        {
            if (!writer.TryAdd(DirectoryNames[i], (ulong)(100 + i), FuseMode.Regular, i + 1))
                break;
        }
        return default;
    }

    public override ValueTask ReadDirPlusAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryPlusWriter writer)
    {
        for (var i = (int)offset; i < DirectoryNames.Count; i++)
        {
            var entry = new FuseEntry((ulong)(100 + i), FileAttr((ulong)(100 + i), i), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            if (!writer.TryAdd(DirectoryNames[i], entry, i + 1))
                break;
        }
        return default;
    }

    public override ValueTask<ReadOnlyMemory<byte>> GetXattrAsync(FuseContext context, ulong nodeId, string name) =>
        name == "user.present"
            ? ValueTask.FromResult<ReadOnlyMemory<byte>>("value"u8.ToArray())
            : throw new FuseException(Errno.ENODATA);
}
