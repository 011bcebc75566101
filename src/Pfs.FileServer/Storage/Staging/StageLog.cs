using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// The on-disk record of what a stage changes, beside the object as <c>&lt;object&gt;.stage.log</c>: a
/// 16-byte header (the magic "PFSSTG01", then the writer's epoch) and 16-byte records (two little-endian
/// 64-bit numbers) in the order they were made, of two kinds:
/// <list type="bullet">
/// <item>(offset, length &gt; 0): a run of staged bytes. Appended only after its bytes are in the shadow,
/// so whatever the log names exists there; calls appending at once take disjoint slots.</item>
/// <item>(length, -1): a cut (truncate) of the writer's view to that length. A cut runs alone in its
/// stage (see <see cref="Stage.Enter"/>), so it lies between the runs staged before it and after it.
/// Logs written before truncates existed have none, and load as they always did.</item>
/// </list>
/// </summary>
internal sealed class StageLog
{
    private const string Suffix = ".stage.log";
    private const int HeaderBytes = 16;
    private const int RecordBytes = 16;
    private const ulong Magic = 0x3130_4754_5353_4650; // "PFSSTG01" little-endian
    private const long CutMark = -1;

    private readonly string _file;

    // Open only while the stage's calls run (see Stage.OpenHandles); opened and closed under its lock.
    private SafeFileHandle? _handle;
    private long _length;

    private StageLog(string file, SafeFileHandle? handle, long length)
    {
        _file = file;
        _handle = handle;
        _length = length;
    }

    /// <summary>The log file of the object at <paramref name="path"/>.</summary>
    public static string FileOf(ObjectPath path) => path.File + Suffix;

    /// <summary>Starts the log of a stage of <paramref name="epoch"/>, replacing whatever was there.</summary>
    public static StageLog Create(ObjectPath path, ulong epoch)
    {
        var file = FileOf(path);
        var handle = ObjectFiles.OpenForWrite(path.Directory, file, FileMode.Create, FileAccess.ReadWrite);
        try
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteUInt64LittleEndian(header[8..], epoch);
            RandomAccess.Write(handle, header, 0);
            return new StageLog(file, handle, HeaderBytes);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reopens the log an earlier run left for the object at <paramref name="path"/>, replaying what it
    /// records into <paramref name="changes"/>.
    /// </summary>
    /// <returns>The log, or null if there is none or it is not a stage log (the caller removes it).</returns>
    /// <exception cref="FileNotFoundException">The log vanished while being read.</exception>
    public static StageLog? Reopen(ObjectPath path, out ulong epoch, StagedChanges changes)
    {
        var file = FileOf(path);
        epoch = 0;
        var log = File.ReadAllBytes(file);
        if (log.Length < HeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(log) != Magic)
        {
            return null;
        }

        epoch = BinaryPrimitives.ReadUInt64LittleEndian(log.AsSpan(8));
        var records = (log.Length - HeaderBytes) / RecordBytes;
        for (var i = 0; i < records; i++)
        {
            var at = HeaderBytes + (i * RecordBytes);
            var start = BinaryPrimitives.ReadInt64LittleEndian(log.AsSpan(at));
            var length = BinaryPrimitives.ReadInt64LittleEndian(log.AsSpan(at + 8));

            // A record slot a crash left unwritten reads as zeros; anything out of range is damage.
            if (length > 0 && start >= 0 && start <= PfsLimits.MaxObjectBytes - length)
            {
                changes.Add(start, length);
            }
            else if (length == CutMark && start is >= 0 and <= PfsLimits.MaxObjectBytes)
            {
                changes.Cut(start);
            }
        }

        // Appends go after the last whole record, over any torn one.
        return new StageLog(file, handle: null, HeaderBytes + (records * RecordBytes));
    }

    /// <summary>True if the object at <paramref name="path"/> has a stage log.</summary>
    public static bool Exists(ObjectPath path) => File.Exists(FileOf(path));

    /// <summary>Removes the stage log of the object at <paramref name="path"/> if it can (see <see cref="ObjectFiles.TryDelete"/>).</summary>
    public static void TryDelete(ObjectPath path) => ObjectFiles.TryDelete(FileOf(path));

    /// <summary>Appends one record per run of back-to-back segments; returns the runs recorded.</summary>
    public async ValueTask<List<(long Start, long Length)>> AppendAsync(IReadOnlyList<ObjectSegment> segments, CancellationToken cancellationToken)
    {
        var runs = new List<(long Start, long Length)>();
        foreach (var segment in segments)
        {
            if (segment.Data.IsEmpty)
            {
                continue;
            }

            if (runs.Count > 0 && runs[^1].Start + runs[^1].Length == segment.Offset)
            {
                runs[^1] = (runs[^1].Start, runs[^1].Length + segment.Data.Length);
            }
            else
            {
                runs.Add((segment.Offset, segment.Data.Length));
            }
        }

        var bytes = new byte[runs.Count * RecordBytes];
        for (var i = 0; i < runs.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * RecordBytes), runs[i].Start);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i * RecordBytes) + 8), runs[i].Length);
        }

        var at = Interlocked.Add(ref _length, bytes.Length) - bytes.Length;
        await RandomAccess.WriteAsync(Handle, bytes, at, cancellationToken).ConfigureAwait(false);
        return runs;
    }

    /// <summary>Appends a cut of the writer's view to <paramref name="length"/> bytes.</summary>
    public async ValueTask AppendCutAsync(long length, CancellationToken cancellationToken)
    {
        var record = new byte[RecordBytes];
        BinaryPrimitives.WriteInt64LittleEndian(record, length);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), CutMark);
        var at = Interlocked.Add(ref _length, RecordBytes) - RecordBytes;
        await RandomAccess.WriteAsync(Handle, record, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends a cut to <paramref name="length"/> and, right after it in the same write, a run of the bytes
    /// from <paramref name="runStart"/> to the cut (the block the cut falls into, restaged with its new sum).
    /// </summary>
    public async ValueTask AppendCutAndRunAsync(long length, long runStart, CancellationToken cancellationToken)
    {
        var records = new byte[2 * RecordBytes];
        BinaryPrimitives.WriteInt64LittleEndian(records, length);
        BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(8), CutMark);
        BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(RecordBytes), runStart);
        BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(RecordBytes + 8), length - runStart);
        var at = Interlocked.Add(ref _length, records.Length) - records.Length;
        await RandomAccess.WriteAsync(Handle, records, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts what was appended on stable storage.</summary>
    public void Flush() => RandomAccess.FlushToDisk(Handle);

    /// <summary>Removes the log file; the stage it recorded is settled. Close first.</summary>
    public void Delete() => File.Delete(_file);

    /// <summary>Opens the log for appending, unless it is open.</summary>
    public void Open() => _handle ??= ObjectFiles.OpenExisting(_file, FileAccess.ReadWrite);

    /// <summary>Closes the log, if open.</summary>
    public void Close()
    {
        _handle?.Dispose();
        _handle = null;
    }

    private SafeFileHandle Handle => _handle ?? throw new InvalidOperationException("the stage log is not open");
}
