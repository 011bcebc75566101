using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Starts the disk writes of a file's dirty pages while its writer is still sending, so the fsync at
/// its close finds little left to write. Without it the page cache holds every byte of a staged file
/// until that fsync, which then writes them all at once while the writer waits: 50-250 ms for 48 MiB
/// here, and with several servers on one disk longer (docs/PERFORMANCE.md, "Scaling over shaped links").
/// <para>
/// Linux's sync_file_range(2) with SYNC_FILE_RANGE_WRITE only submits the pages: it does not wait for
/// them and gives no durability by itself (the fsync still does that). Elsewhere, and where the call
/// is refused, this does nothing: it is a hint, and the fsync remains the one that reports errors.
/// </para>
/// </summary>
internal sealed partial class EagerWriteback
{
    /// <summary>Bytes written to a file between two submissions.</summary>
    public const long DefaultEveryBytes = 4L << 20;

    private const uint SyncFileRangeWrite = 2;

    private static int s_unsupported;

    private readonly long _everyBytes;
    private long _unsubmitted;
    private int _submissions;

    /// <param name="everyBytes">Bytes written between two submissions; 0 turns it off.</param>
    public EagerWriteback(long everyBytes = DefaultEveryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(everyBytes);
        _everyBytes = everyBytes;
    }

    /// <summary>Submissions made so far.</summary>
    public int Submissions => Volatile.Read(ref _submissions);

    /// <summary>
    /// Counts <paramref name="bytes"/> just written to <paramref name="file"/>; once <see cref="DefaultEveryBytes"/>
    /// (or the size given) have gathered since the last submission, submits the file's dirty pages for writing.
    /// Safe to call from concurrent writers of the same file.
    /// </summary>
    public void Wrote(SafeFileHandle file, long bytes)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_everyBytes == 0 || bytes <= 0 || Interlocked.Add(ref _unsubmitted, bytes) < _everyBytes)
        {
            return;
        }

        // One of the writers that crossed the line submits; the others find the count reset.
        if (Interlocked.Exchange(ref _unsubmitted, 0) >= _everyBytes && Submit(file))
        {
            Interlocked.Increment(ref _submissions);
        }
    }

    // Submits every dirty page of the file for writing, without waiting; false where that cannot be done.
    private static bool Submit(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux() || Volatile.Read(ref s_unsupported) != 0 || file.IsClosed)
        {
            return false;
        }

        // Offset 0 and length 0: the whole file. Pages already on their way to the disk are left alone.
        if (SyncFileRange(file, 0, 0, SyncFileRangeWrite) == 0)
        {
            return true;
        }

        // ENOSYS (an emulator, a sandbox): never again. Anything else (EIO, EBADF...) is for the fsync to report.
        const int enosys = 38;
        if (Marshal.GetLastPInvokeError() == enosys)
        {
            Volatile.Write(ref s_unsupported, 1);
        }

        return false;
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
