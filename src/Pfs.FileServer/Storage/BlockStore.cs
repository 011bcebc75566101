using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Stripe objects as plain files under <c>&lt;data-dir&gt;/objects</c>. Every call opens its own handle and
/// uses positional I/O, so calls on different objects never wait for each other and calls on the same
/// object need no lock: ordering between writers is the metadata server's business, not ours.
/// </summary>
public sealed partial class BlockStore
{
    /// <summary>Largest object: no byte at or past this offset is read or written (the client checks the same).</summary>
    public const long MaxObjectBytes = PfsLimits.MaxObjectBytes;

    /// <summary>
    /// Most bytes one read may ask for, summed over its ranges: one block of the largest size, which a
    /// client reads in a call of its own. The gRPC message limit leaves room for that plus framing.
    /// </summary>
    public const int MaxReadBytes = PfsLimits.MaxReadBytesPerCall;

    // A concurrent delete can remove the object's directory between our CreateDirectory and open.
    private const int MaxOpenAttempts = 10;

    private const FileShare SharedAccess = FileShare.ReadWrite | FileShare.Delete;

    private readonly ILogger<BlockStore> _logger;
    private readonly bool _syncWrites;

    /// <summary>Opens (creating if needed) the store in <paramref name="dataDirectory"/>.</summary>
    public BlockStore(string dataDirectory, ILogger<BlockStore> logger, bool syncWrites = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentNullException.ThrowIfNull(logger);
        DataDirectory = Path.GetFullPath(dataDirectory);
        ObjectsRoot = Path.Join(DataDirectory, "objects");
        _logger = logger;
        _syncWrites = syncWrites;
        Directory.CreateDirectory(ObjectsRoot);
    }

    /// <summary>True when every write is flushed to stable storage before it is acknowledged.</summary>
    public bool SyncWrites => _syncWrites;

    /// <summary>The data directory as a full path.</summary>
    public string DataDirectory { get; }

    /// <summary>The directory that holds one subdirectory per file name.</summary>
    public string ObjectsRoot { get; }

    /// <summary>
    /// Reads <paramref name="ranges"/> of an object. A range past the end comes back short or empty and a
    /// missing object reads as empty. Dispose the result once its bytes have been sent.
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(ObjectsRoot, key);
        ValidateRanges(ranges);

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path.File, FileMode.Open, FileAccess.Read, SharedAccess);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ObjectReadResult.Empty(ranges.Count);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("read", key, ex);
        }

        using (handle)
        {
            byte[]? buffer = null;
            try
            {
                var length = RandomAccess.GetLength(handle);

                // Size the buffer by what exists, never by what was asked for: a client claiming a huge
                // length on a small object costs nothing.
                long total = 0;
                foreach (var range in ranges)
                {
                    total += Available(range, length);
                }

                buffer = total == 0 ? null : ArrayPool<byte>.Shared.Rent((int)total);
                var data = new ReadOnlyMemory<byte>[ranges.Count];
                var position = 0;
                for (var i = 0; i < ranges.Count; i++)
                {
                    var wanted = Available(ranges[i], length);
                    var got = wanted == 0 ? 0 : await ReadFullyAsync(handle, buffer.AsMemory(position, wanted), ranges[i].Offset, cancellationToken).ConfigureAwait(false);
                    data[i] = got == 0 ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(position, got);
                    position += got;
                }

                var result = new ObjectReadResult(buffer, data);
                buffer = null;
                return result;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Failure("read", key, ex);
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="segments"/> in order (so overlapping segments: the last wins), creating the
    /// object if needed; with <paramref name="sync"/> the bytes are on stable storage when this returns.
    /// </summary>
    /// <returns>The bytes written: the sum of the segments' lengths.</returns>
    public async ValueTask<long> WriteAsync(ObjectKey key, IReadOnlyList<ObjectSegment> segments, bool sync, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var path = ObjectPath.Resolve(ObjectsRoot, key);
        var total = ValidateSegments(segments);

        try
        {
            using var handle = OpenForWrite(path.Directory, path.File, FileMode.OpenOrCreate, FileAccess.Write);
            await WriteRunsAsync(handle, segments, cancellationToken).ConfigureAwait(false);

            if (sync || _syncWrites)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("write", key, ex);
        }

        return total;
    }

    /// <summary>
    /// Writes <paramref name="segments"/> through <paramref name="handle"/> in order; segments that follow
    /// each other on disk go down as one vectored write (one pwritev).
    /// </summary>
    internal static async ValueTask WriteRunsAsync(SafeFileHandle handle, IReadOnlyList<ObjectSegment> segments, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte>[]? run = null;
        var i = 0;
        while (i < segments.Count)
        {
            var start = segments[i].Offset;
            var end = start + segments[i].Data.Length;
            var next = i + 1;
            while (next < segments.Count && segments[next].Offset == end)
            {
                end += segments[next].Data.Length;
                next++;
            }

            if (end > start)
            {
                if (next - i == 1)
                {
                    await RandomAccess.WriteAsync(handle, segments[i].Data, start, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    run ??= new ReadOnlyMemory<byte>[segments.Count];
                    for (var k = i; k < next; k++)
                    {
                        run[k - i] = segments[k].Data;
                    }

                    await RandomAccess.WriteAsync(handle, new ArraySegment<ReadOnlyMemory<byte>>(run, 0, next - i), start, cancellationToken).ConfigureAwait(false);
                }
            }

            i = next;
        }
    }

    /// <summary>Throws <see cref="BlockStoreException"/> (InvalidArgument) if <paramref name="key"/> cannot name an object here.</summary>
    public void Validate(ObjectKey key) => _ = ObjectPath.Resolve(ObjectsRoot, key);

    /// <summary>Removes an object (and its epoch marks); removing a missing one succeeds.</summary>
    /// <returns>Whether the object existed.</returns>
    public bool Delete(ObjectKey key)
    {
        var path = ObjectPath.Resolve(ObjectsRoot, key);
        bool existed;
        try
        {
            try
            {
                File.Delete(StagedObjects.MarksFile(path.File));
            }
            catch (DirectoryNotFoundException)
            {
                // No directory, so no object and no floor either.
            }

            // Exists-then-delete can report true to two racing deletes; the answer is informational only.
            existed = File.Exists(path.File);
            if (existed)
            {
                File.Delete(path.File);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failure("delete", key, ex);
        }

        TryRemoveEmptyDirectory(path.Directory);
        return existed;
    }

    /// <summary>Opens <paramref name="file"/> in <paramref name="directory"/> (making the directory if needed) for writing.</summary>
    internal static SafeFileHandle OpenForWrite(string directory, string file, FileMode mode, FileAccess access)
    {
        // A delete of the last other generation may remove objects/<name> at any moment; whichever step
        // notices, make the directory again. Real failures (no space, no permission) repeat and surface.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Not atomic on Unix: when mkdir says EEXIST but the directory is gone by the time .NET
                // checks it, CreateDirectory throws a plain IOException.
                Directory.CreateDirectory(directory);
            }
            catch (IOException) when (attempt < MaxOpenAttempts)
            {
                continue;
            }

            try
            {
                return File.OpenHandle(file, mode, access, SharedAccess);
            }
            catch (Exception ex) when ((ex is DirectoryNotFoundException or FileNotFoundException) && attempt < MaxOpenAttempts)
            {
                // .NET reports the vanished directory as either exception, depending on timing.
            }
        }
    }

    private static void TryRemoveEmptyDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: false);
        }
        catch (IOException)
        {
            // Not empty (other generations, or a writer just created an object) or already gone:
            // either way the directory is someone else's to keep or remove.
        }
        catch (UnauthorizedAccessException)
        {
            // An empty directory left behind costs nothing.
        }
    }

    // What a range can actually return: the part of it below the end of the file.
    private static int Available(ObjectRange range, long fileLength) =>
        (int)Math.Clamp(Math.Min(range.Length, fileLength - range.Offset), 0, range.Length);

    /// <summary>Reads until <paramref name="destination"/> is full or the file ends; returns the bytes read.</summary>
    internal static async ValueTask<int> ReadFullyAsync(SafeFileHandle handle, Memory<byte> destination, long offset, CancellationToken cancellationToken = default)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, destination[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    internal BlockStoreException Failure(string operation, ObjectKey key, Exception exception)
    {
        if (exception is IOException io && IoErrors.IsNoSpace(io))
        {
            Log.NoSpace(_logger, operation, key.Name, key.Generation);
            return new BlockStoreException(BlockStoreError.NoSpace, $"{operation} failed: no space left on the file server", exception);
        }

        if (exception is IOException big && IoErrors.IsFileTooLarge(big))
        {
            return new BlockStoreException(BlockStoreError.OutOfRange, $"{operation} failed: the object would exceed the file system's size limit", exception);
        }

        // The client gets a short message; the path and stack trace stay in the server log.
        Log.IoFailed(_logger, operation, key.Name, key.Generation, exception);
        return new BlockStoreException(BlockStoreError.Io, $"{operation} failed: I/O error on the file server", exception);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "I/O error during {Operation} of object {Name}/{Generation}")]
        public static partial void IoFailed(ILogger logger, string operation, string name, ulong generation, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "No space left during {Operation} of object {Name}/{Generation}")]
        public static partial void NoSpace(ILogger logger, string operation, string name, ulong generation);
    }
}
