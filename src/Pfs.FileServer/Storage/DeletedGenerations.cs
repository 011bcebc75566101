using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage;

/// <summary>
/// The generations deleted on this server (tombstones), so that a capability of a deleted generation
/// is accepted for nothing, also after a restart. Generations are never used again cluster-wide, so a
/// tombstone is valid forever.
/// <para>
/// Kept in memory as sorted runs of consecutive generations (a directory tree's files were created
/// in sequence, so deleting it leaves few runs) and on disk in <c>&lt;data-dir&gt;/deleted-generations</c>:
/// a 16-byte header (the magic "PFSDEL01", 8 bytes reserved) and 16-byte records (first, last of a
/// run; little-endian), appended as deletes come, with concurrent deletes sharing one write and one
/// flush. When the file holds more than twice the records it needs (plus some slack), it is rewritten
/// with one record per run. Its size is therefore 16 bytes per run (at most twice that), and memory
/// the same.
/// </para>
/// </summary>
internal sealed class DeletedGenerations
{
    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "deleted-generations";

    private const int RecordBytes = 16;
    private const ulong Magic = 0x3130_4c45_4453_4650; // "PFSDEL01" little-endian
    private const int CompactionSlack = 1024;

    private readonly string _directory;
    private readonly string _file;
    private readonly Lock _gate = new();

    // Under _gate: the runs (sorted, disjoint, non-adjacent), what waits to be written, and the batch
    // those waiters are in. One flusher at a time.
    private readonly List<(ulong First, ulong Last)> _runs = [];
    private List<ulong> _pending = [];
    private TaskCompletionSource? _batch;
    private bool _flushing;
    private long _recordsOnDisk;

    /// <summary>Loads the tombstones of <paramref name="dataDirectory"/> (none if it has no file yet).</summary>
    /// <exception cref="IOException">The file is there but is not a tombstone file.</exception>
    public DeletedGenerations(string dataDirectory)
    {
        _directory = dataDirectory;
        _file = Path.Join(dataDirectory, FileName);
        if (ObjectFiles.ReadRecordFile(_file, Magic, RecordBytes, "a file of deleted generations") is not { } bytes)
        {
            return;
        }

        // A torn last record (a crash mid-append) was never acknowledged: it is skipped, and overwritten.
        var records = (bytes.Length / RecordBytes) - 1;
        for (var i = 1; i <= records; i++)
        {
            var first = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * RecordBytes));
            var last = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((i * RecordBytes) + 8));
            if (first != 0 && first <= last)
            {
                Insert(first, last);
            }
        }

        _recordsOnDisk = records;
        if (bytes.Length % RecordBytes != 0 || NeedsCompaction())
        {
            Rewrite();
        }
    }

    /// <summary>Number of runs of consecutive deleted generations.</summary>
    public int Runs
    {
        get
        {
            lock (_gate)
            {
                return _runs.Count;
            }
        }
    }

    public bool Contains(ulong generation)
    {
        lock (_gate)
        {
            var at = RunAtOrBefore(generation);
            return at >= 0 && _runs[at].Last >= generation;
        }
    }

    /// <summary>
    /// Records <paramref name="generation"/> as deleted: in memory at once, on stable storage when this
    /// completes. A failure leaves it deleted in memory only; the caller's retry writes it again.
    /// </summary>
    public async ValueTask AddAsync(ulong generation)
    {
        Task written;
        bool flush;
        lock (_gate)
        {
            Insert(generation, generation);
            _pending.Add(generation);
            _batch ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            written = _batch.Task;
            flush = !_flushing;
            _flushing = true;
        }

        if (flush)
        {
            await Task.Run(FlushAll).ConfigureAwait(false);
        }

        await written.ConfigureAwait(false);
    }

    // Writes batches until none is waiting; one caller at a time runs this.
    private void FlushAll()
    {
        while (true)
        {
            List<ulong> batch;
            TaskCompletionSource done;
            bool compact;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }

                (batch, _pending) = (_pending, []);
                done = _batch!;
                _batch = null;
                compact = NeedsCompaction(batch.Count);
            }

            try
            {
                if (compact)
                {
                    Rewrite();
                }
                else
                {
                    Append(batch);
                }

                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        }
    }

    private void Append(List<ulong> batch)
    {
        var bytes = new byte[batch.Count * RecordBytes];
        for (var i = 0; i < batch.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * RecordBytes), batch[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((i * RecordBytes) + 8), batch[i]);
        }

        var created = !File.Exists(_file);
        using (var handle = ObjectFiles.OpenForWrite(_directory, _file, FileMode.OpenOrCreate, FileAccess.Write))
        {
            long at;
            if (created || RandomAccess.GetLength(handle) < RecordBytes)
            {
                WriteHeader(handle);
                at = RecordBytes;
            }
            else
            {
                // After the last whole record, over any torn one.
                at = RandomAccess.GetLength(handle) / RecordBytes * RecordBytes;
            }

            RandomAccess.Write(handle, bytes, at);
            RandomAccess.FlushToDisk(handle);
        }

        if (created)
        {
            DirectorySync.Flush(_directory);
        }

        lock (_gate)
        {
            _recordsOnDisk += batch.Count;
        }
    }

    // Replaces the file with one record per run; a crash leaves the old file or the new.
    private void Rewrite()
    {
        byte[] bytes;
        lock (_gate)
        {
            bytes = new byte[(_runs.Count + 1) * RecordBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, Magic);
            for (var i = 0; i < _runs.Count; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((i + 1) * RecordBytes), _runs[i].First);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(((i + 1) * RecordBytes) + 8), _runs[i].Last);
            }

            _recordsOnDisk = _runs.Count;
        }

        ObjectFiles.ReplaceAtomically(_directory, _file, bytes, durable: true);
    }

    private static void WriteHeader(SafeFileHandle handle)
    {
        Span<byte> header = stackalloc byte[RecordBytes];
        header.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        RandomAccess.Write(handle, header, 0);
    }

    // Under _gate (or while loading).
    private bool NeedsCompaction(int adding = 0) => _recordsOnDisk + adding > (2L * _runs.Count) + CompactionSlack;

    // Under _gate (or while loading): adds first..last, merging every run it overlaps or touches.
    private void Insert(ulong first, ulong last)
    {
        var start = RunAtOrBefore(first);
        if (start < 0 || _runs[start].Last < first - 1)
        {
            start++;
        }

        var (mergedFirst, mergedLast) = (first, last);
        var end = start;
        while (end < _runs.Count && (last == ulong.MaxValue || _runs[end].First <= last + 1))
        {
            mergedFirst = Math.Min(mergedFirst, _runs[end].First);
            mergedLast = Math.Max(mergedLast, _runs[end].Last);
            end++;
        }

        _runs.RemoveRange(start, end - start);
        _runs.Insert(start, (mergedFirst, mergedLast));
    }

    // The last run whose first generation is at or below `generation`; -1 if none.
    private int RunAtOrBefore(ulong generation)
    {
        int low = 0, high = _runs.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            if (_runs[middle].First <= generation)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return found;
    }
}
