using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Pfs.ServiceDefaults.Connections;

namespace Pfs.FileServer.Storage;

/// <summary>
/// File operations that the store of committed objects and the stages beside them share. Every
/// handle is opened shared for reading, writing and deleting: calls on one object run side by
/// side, and a delete must never wait for a reader.
/// </summary>
internal static class ObjectFiles
{
    // Something outside the server (an operator tidying up) can remove an object's directory between
    // our CreateDirectory and open; the server itself never removes one once made.
    private const int MaxOpenAttempts = 10;

    private const FileShare SharedAccess = FileShare.ReadWrite | FileShare.Delete;

    /// <summary>
    /// The bytes of a record file the server keeps in its data directory (tombstones, damaged blocks), or
    /// null if there is none yet. It must hold at least <paramref name="minimumBytes"/> and start with
    /// <paramref name="magic"/> (little-endian); otherwise it is not <paramref name="what"/>.
    /// </summary>
    /// <exception cref="IOException">The file is there but is not <paramref name="what"/>.</exception>
    public static byte[]? ReadRecordFile(string file, ulong magic, int minimumBytes, string what)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (bytes.Length < Math.Max(minimumBytes, sizeof(ulong)) || BinaryPrimitives.ReadUInt64LittleEndian(bytes) != magic)
        {
            throw new IOException($"{file} is not {what}");
        }

        return bytes;
    }

    /// <summary>Opens an existing <paramref name="file"/>; throws FileNotFoundException or DirectoryNotFoundException if there is none.</summary>
    public static SafeFileHandle OpenExisting(string file, FileAccess access) =>
        OutsideTheReserve(File.OpenHandle(file, FileMode.Open, access, SharedAccess));

    /// <summary>Opens <paramref name="file"/> in <paramref name="directory"/> (making the directory if needed) for writing.</summary>
    public static SafeFileHandle OpenForWrite(string directory, string file, FileMode mode, FileAccess access)
    {
        // Whichever step notices the directory gone, make it again. Real failures (no space, no
        // permission) repeat and surface.
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
                return OutsideTheReserve(File.OpenHandle(file, mode, access, SharedAccess));
            }
            catch (Exception ex) when ((ex is DirectoryNotFoundException or FileNotFoundException) && attempt < MaxOpenAttempts)
            {
                // .NET reports the vanished directory as either exception, depending on timing.
            }
        }
    }

    /// <summary>
    /// <paramref name="handle"/>, unless it took a descriptor the server keeps for the .NET runtime
    /// (<see cref="DescriptorReserve"/>): then it is closed again, and the open fails as if the table
    /// were full (EMFILE, which callers answer with Unavailable: retry later).
    /// </summary>
    private static SafeFileHandle OutsideTheReserve(SafeFileHandle handle)
    {
        if (!DescriptorReserve.Process.Holds(handle))
        {
            return handle;
        }

        handle.Dispose();
        throw IoErrors.OutOfHandles();
    }

    /// <summary>
    /// Writes <paramref name="segments"/> through <paramref name="handle"/> in order (so overlapping
    /// segments: the last wins); segments that follow each other on disk go down as one vectored write
    /// (one pwritev).
    /// </summary>
    public static async ValueTask WriteRunsAsync(SafeFileHandle handle, IReadOnlyList<ObjectSegment> segments, CancellationToken cancellationToken)
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

    /// <summary>Reads until <paramref name="destination"/> is full or the file ends; returns the bytes read.</summary>
    public static async ValueTask<int> ReadFullyAsync(SafeFileHandle handle, Memory<byte> destination, long offset, CancellationToken cancellationToken = default)
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

    /// <summary>
    /// Replaces <paramref name="file"/> with <paramref name="bytes"/> so that a reader (or a process
    /// crash) sees the old contents or the new, never part of either: written beside it, then renamed
    /// over it. With <paramref name="durable"/> the same holds across a power cut: the new contents and
    /// the rename are flushed to stable storage before this returns.
    /// </summary>
    public static void ReplaceAtomically(string directory, string file, ReadOnlySpan<byte> bytes, bool durable = false)
    {
        var temp = $"{file}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var handle = OpenForWrite(directory, temp, FileMode.CreateNew, FileAccess.Write))
            {
                RandomAccess.Write(handle, bytes, 0);
                if (durable)
                {
                    RandomAccess.FlushToDisk(handle);
                }
            }

            File.Move(temp, file, overwrite: true);
            if (durable)
            {
                DirectorySync.Flush(directory);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Deletes <paramref name="file"/>; a missing file or directory is no error.</summary>
    public static void Delete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (DirectoryNotFoundException)
        {
            // No directory, so no file either.
        }
    }

    /// <summary>Deletes <paramref name="file"/> if it can; one left behind is found again by the next load.</summary>
    public static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // Left for the next load to find again.
        }
    }

    /// <summary>Removes <paramref name="directory"/> if it is empty.</summary>
    public static void TryRemoveEmptyDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: false);
        }
        catch (IOException)
        {
            // Not empty, or already gone: either way it is someone else's to keep or remove.
        }
        catch (UnauthorizedAccessException)
        {
            // An empty directory left behind costs nothing.
        }
    }
}
