using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Staged writes and writer epochs over a <see cref="BlockStore"/>: what makes a writer's bytes
/// all-or-nothing and a superseded writer harmless.
/// <para>
/// A writer's bytes never go into the object itself. They go into a shadow file beside it (at their
/// real offsets) and a log of which ranges were written; only the writer (same epoch) reads through
/// them. When the metadata server commits the writer's close, <see cref="CommitAsync"/> makes them the
/// object's bytes: by renaming the shadow over the object when it covers every old byte (a
/// sequential rewrite), otherwise by copying the written ranges in; either way flushed to disk before
/// the log goes. A writer that dies never commits, and its stage is dropped by the first call of a
/// newer lock holder, so nobody ever sees part of an unfinished write.
/// </para>
/// <para>
/// Per object there is at most one stage. Calls of a newer epoch resolve an older stage first: a
/// capability names the epochs that committed but may not have been applied everywhere, so the stage
/// is applied if named and dropped if not (a holder with a newer epoch got its lock after the old
/// writer's ended, so an old writer that is not named never committed). Each object also keeps a
/// floor (the newest writer epoch seen: older writes are refused, as a fencing token) and a seal (the
/// newest epoch committed or dropped here: its late writes are refused too); both persist beside it.
/// </para>
/// </summary>
public sealed partial class StagedObjects
{
    private const string ShadowSuffix = ".stage";
    private const string LogSuffix = ".stage.log";
    private const string MarksSuffix = ".epoch";
    private const int LogHeaderBytes = 16;
    private const int LogRecordBytes = 16;
    private const int CopyChunkBytes = 1024 * 1024;
    private const ulong LogMagic = 0x3130_4754_5353_4650; // "PFSSTG01" little-endian

    private readonly BlockStore _store;
    private readonly ILogger<StagedObjects> _logger;
    private readonly ConcurrentDictionary<ObjectKey, ObjectState> _states = new();

    public StagedObjects(BlockStore store, ILogger<StagedObjects> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _logger = logger;
    }

    /// <summary>The file holding an object's floor and seal; removed with the object.</summary>
    public static string MarksFile(string objectFile) => objectFile + MarksSuffix;

    /// <summary>
    /// Reads ranges of an object as <paramref name="access"/> may see it: the writer holding the
    /// object's stage sees its staged bytes over the object's; everyone else sees committed bytes only
    /// (after applying or dropping a stage that their capability settles).
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(_store.ObjectsRoot, key);
        BlockStore.ValidateRanges(ranges);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);

        Stage? own = null;
        var settle = false;
        lock (state)
        {
            if (state.Stage is { } stage)
            {
                if (access.Write && stage.Epoch == access.Epoch && !stage.Closing)
                {
                    own = stage;
                    stage.InFlight++;
                }
                else
                {
                    settle = Settles(stage, access);
                }
            }
        }

        if (settle)
        {
            await SettleAsync(key, path, state, access, cancellationToken).ConfigureAwait(false);
        }

        if (own is null)
        {
            return await _store.ReadAsync(key, ranges, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await ReadThroughStageAsync(key, state, own, ranges, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Exit(state, own);
        }
    }

    /// <summary>
    /// Stages <paramref name="segments"/> for writer <paramref name="access"/> (so overlapping segments: the
    /// last wins). With <paramref name="sync"/> everything this writer staged here is on stable storage
    /// when this returns. No segments: only admits the epoch (a fence), and syncs if asked.
    /// </summary>
    /// <returns>The bytes written: the sum of the segments' lengths.</returns>
    /// <exception cref="BlockStoreException">StaleEpoch if a newer writer has been seen or this epoch is finished here.</exception>
    public async ValueTask<long> WriteAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectSegment> segments, bool sync, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var path = ObjectPath.Resolve(_store.ObjectsRoot, key);
        var total = BlockStore.ValidateSegments(segments);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        var stage = await EnterAsync(key, path, state, access, create: total > 0, cancellationToken).ConfigureAwait(false);
        if (stage is null)
        {
            return 0;
        }

        try
        {
            if (total > 0)
            {
                await BlockStore.WriteRunsAsync(stage.Shadow, segments, cancellationToken).ConfigureAwait(false);
                await AppendToLogAsync(state, stage, segments, cancellationToken).ConfigureAwait(false);
            }

            if (sync || _store.SyncWrites)
            {
                RandomAccess.FlushToDisk(stage.Shadow);
                RandomAccess.FlushToDisk(stage.LogHandle);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Failure("write", key, ex);
        }
        finally
        {
            Exit(state, stage);
        }

        return total;
    }

    /// <summary>
    /// Makes what writer <paramref name="epoch"/> staged the object's bytes, on stable storage. Idempotent:
    /// with nothing of that epoch staged (already applied, or it wrote nothing here) nothing changes.
    /// </summary>
    /// <returns>True if staged bytes were applied by this call.</returns>
    public async ValueTask<bool> CommitAsync(ObjectKey key, ulong epoch, CancellationToken cancellationToken = default)
    {
        var path = ObjectPath.Resolve(_store.ObjectsRoot, key);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Stage? stage;
            lock (state)
            {
                stage = state.Stage is { } staged && staged.Epoch == epoch ? staged : null;
            }

            if (stage is not null)
            {
                await ResolveAsync(key, path, state, stage, apply: true).ConfigureAwait(false);
                return true;
            }

            bool sealedNow;
            lock (state)
            {
                sealedNow = epoch > state.Sealed;
                state.Sealed = Math.Max(state.Sealed, epoch);
            }

            if (sealedNow)
            {
                await PersistMarksAsync(key, path, state).ConfigureAwait(false);
            }

            return false;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Removes an object with whatever is staged for it; writer <paramref name="access"/> must not be stale.</summary>
    /// <returns>Whether the object existed.</returns>
    public async ValueTask<bool> DeleteAsync(ObjectKey key, ObjectAccess access, CancellationToken cancellationToken = default)
    {
        var path = ObjectPath.Resolve(_store.ObjectsRoot, key);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Stage? stage;
            lock (state)
            {
                // Only the floor: deleting again (a retry) with the same capability is fine.
                if (access.Epoch < state.Floor)
                {
                    throw Stale(access.Epoch, "a newer writer has written this object");
                }

                state.Floor = access.Epoch;
                stage = state.Stage;
            }

            if (stage is not null)
            {
                await ResolveAsync(key, path, state, stage, apply: false).ConfigureAwait(false);
            }

            // The floor stays in memory (a late write of an older holder is still refused while this
            // process lives); on disk it goes with the object, as the generation is never used again.
            return _store.Delete(key) | stage is not null;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    // A stage that a call by `access` must apply or drop before it can read committed bytes: one the
    // capability names as committed, or one older than the caller's lock (its writer is gone).
    private static bool Settles(Stage stage, ObjectAccess access) =>
        access.HasCommitted(stage.Epoch) || stage.Epoch < access.Epoch;

    private async ValueTask SettleAsync(ObjectKey key, ObjectPath path, ObjectState state, ObjectAccess access, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Stage? stage;
            lock (state)
            {
                stage = state.Stage is { } staged && Settles(staged, access) ? staged : null;
            }

            if (stage is not null)
            {
                await ResolveAsync(key, path, state, stage, apply: access.HasCommitted(stage.Epoch)).ConfigureAwait(false);
            }
        }
        finally
        {
            state.Gate.Release();
        }
    }

    // Admits a call of writer `access`: refuses a stale epoch, settles an older stage, raises the floor.
    // Returns the writer's own stage with one call counted in flight (made if `create`), or null.
    private async ValueTask<Stage?> EnterAsync(ObjectKey key, ObjectPath path, ObjectState state, ObjectAccess access, bool create, CancellationToken cancellationToken)
    {
        lock (state)
        {
            ThrowIfStale(state, access.Epoch);
            if (state.Stage is { Closing: false } current && current.Epoch == access.Epoch)
            {
                current.InFlight++;
                return current;
            }

            if (state.Stage is null && access.Epoch == state.Floor && !create)
            {
                return null;
            }
        }

        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Stage? older;
            bool raised;
            lock (state)
            {
                ThrowIfStale(state, access.Epoch);
                if (state.Stage is { } staged && staged.Epoch == access.Epoch)
                {
                    if (staged.Closing)
                    {
                        throw Stale(access.Epoch, "its writes are being committed or dropped");
                    }

                    staged.InFlight++;
                    return staged;
                }

                // The floor rises first, so no write of the older epoch is admitted from here on.
                older = state.Stage;
                raised = access.Epoch > state.Floor;
                state.Floor = Math.Max(state.Floor, access.Epoch);
            }

            if (older is not null)
            {
                await ResolveAsync(key, path, state, older, apply: access.HasCommitted(older.Epoch)).ConfigureAwait(false);
            }
            else if (raised)
            {
                await PersistMarksAsync(key, path, state).ConfigureAwait(false);
            }

            if (!create)
            {
                return null;
            }

            var stage = CreateStage(path, access.Epoch);
            lock (state)
            {
                state.Stage = stage;
                stage.InFlight++;
            }

            return stage;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private static void Exit(ObjectState state, Stage stage)
    {
        lock (state)
        {
            stage.InFlight--;
            if (stage.InFlight == 0 && stage.Drained is { } drained)
            {
                stage.Drained = null;
                drained.TrySetResult();
            }
        }
    }

    private static void ThrowIfStale(ObjectState state, ulong epoch)
    {
        if (epoch < state.Floor)
        {
            throw Stale(epoch, "a newer writer has written this object");
        }

        if (epoch <= state.Sealed)
        {
            throw Stale(epoch, "its writes here were already committed or dropped");
        }
    }

    private static BlockStoreException Stale(ulong epoch, string why) =>
        new(BlockStoreError.StaleEpoch, $"stale writer: epoch {epoch} is finished on this server ({why})");

    // Applies or drops a stage; the caller holds the gate. Waits for the stage's calls in flight, and is
    // not cancellable: once started it runs to the end (a failure leaves the stage to be settled again).
    private async ValueTask ResolveAsync(ObjectKey key, ObjectPath path, ObjectState state, Stage stage, bool apply)
    {
        Task? drained = null;
        lock (state)
        {
            stage.Closing = true;
            if (stage.InFlight > 0)
            {
                stage.Drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = stage.Drained.Task;
            }
        }

        if (drained is not null)
        {
            await drained.ConfigureAwait(false);
        }

        try
        {
            stage.CloseHandles();
            if (apply)
            {
                await ApplyAsync(path, stage).ConfigureAwait(false);
            }
            else
            {
                File.Delete(stage.ShadowPath);
            }

            lock (state)
            {
                state.Stage = null;
                state.Sealed = Math.Max(state.Sealed, stage.Epoch);
            }

            await PersistMarksAsync(key, path, state).ConfigureAwait(false);
            File.Delete(stage.LogPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Failure(apply ? "commit" : "drop staged writes", key, ex);
        }

        Log.Resolved(_logger, key.Name, key.Generation, stage.Epoch, apply ? "applied" : "dropped");
    }

    // Idempotent, so a commit that failed half-way (or a restart) can simply run it again.
    private static async ValueTask ApplyAsync(ObjectPath path, Stage stage)
    {
        SafeFileHandle shadow;
        try
        {
            shadow = File.OpenHandle(stage.ShadowPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            // Renamed over the object by an earlier attempt that failed after it.
            return;
        }

        using (shadow)
        {
            RandomAccess.FlushToDisk(shadow);
            if (!await CopyUnlessCoveredAsync(path, stage, shadow).ConfigureAwait(false))
            {
                return;
            }
        }

        // Every old byte was rewritten: the shadow is the new object. rename(2) is atomic, and the
        // directory is flushed so the new name survives a power cut, not only a process kill.
        File.Move(stage.ShadowPath, path.File, overwrite: true);
        DirectorySync.Flush(path.Directory);
    }

    // Copies the staged ranges into the object and removes the shadow, unless the stage covers every byte
    // the object has (then returns true: renaming is cheaper and just as safe).
    private static async ValueTask<bool> CopyUnlessCoveredAsync(ObjectPath path, Stage stage, SafeFileHandle shadow)
    {
        long objectLength;
        try
        {
            objectLength = new FileInfo(path.File).Length;
        }
        catch (FileNotFoundException)
        {
            objectLength = 0;
        }

        if (stage.Extents.CoversPrefix(objectLength))
        {
            return true;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(CopyChunkBytes);
        try
        {
            using (var target = BlockStore.OpenForWrite(path.Directory, path.File, FileMode.OpenOrCreate, FileAccess.Write))
            {
                foreach (var (start, count) in stage.Extents.Ranges())
                {
                    var end = start + count;
                    for (var at = start; at < end;)
                    {
                        var length = (int)Math.Min(CopyChunkBytes, end - at);
                        var read = await BlockStore.ReadFullyAsync(shadow, buffer.AsMemory(0, length), at).ConfigureAwait(false);
                        if (read < length)
                        {
                            // A logged range always exists in the shadow; a short read means the shadow was damaged.
                            throw new IOException($"the stage of epoch {stage.Epoch} is shorter than its log ({at + read} < {end})");
                        }

                        await RandomAccess.WriteAsync(target, buffer.AsMemory(0, length), at).ConfigureAwait(false);
                        at += length;
                    }
                }

                RandomAccess.FlushToDisk(target);
            }

            DirectorySync.Flush(path.Directory);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        File.Delete(stage.ShadowPath);
        return false;
    }

    private async ValueTask<ObjectReadResult> ReadThroughStageAsync(ObjectKey key, ObjectState state, Stage stage, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken)
    {
        var staged = new List<(long Start, long Length)>[ranges.Count];
        long stagedEnd;
        lock (state)
        {
            stagedEnd = stage.Extents.End;
            for (var i = 0; i < ranges.Count; i++)
            {
                staged[i] = stage.Extents.Intersect(ranges[i].Offset, ranges[i].Length);
            }
        }

        using var committed = await _store.ReadAsync(key, ranges, cancellationToken).ConfigureAwait(false);

        // A range sees as far as the longer of the object and the stage; what neither holds reads as zeros.
        var lengths = new int[ranges.Count];
        long total = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var throughStage = Math.Clamp(stagedEnd - ranges[i].Offset, 0, ranges[i].Length);
            lengths[i] = (int)Math.Max(committed.Data[i].Length, throughStage);
            total += lengths[i];
        }

        var buffer = total == 0 ? null : ArrayPool<byte>.Shared.Rent((int)total);
        try
        {
            var data = new ReadOnlyMemory<byte>[ranges.Count];
            var position = 0;
            for (var i = 0; i < ranges.Count; i++)
            {
                var slot = buffer.AsMemory(position, lengths[i]);
                committed.Data[i].CopyTo(slot);
                slot.Span[committed.Data[i].Length..].Clear();
                foreach (var (start, length) in staged[i])
                {
                    var part = slot.Slice((int)(start - ranges[i].Offset), (int)length);
                    var read = await BlockStore.ReadFullyAsync(stage.Shadow, part, start, cancellationToken).ConfigureAwait(false);
                    if (read < part.Length)
                    {
                        throw new IOException($"the stage of epoch {stage.Epoch} is shorter than its log");
                    }
                }

                data[i] = slot;
                position += lengths[i];
            }

            var result = new ObjectReadResult(buffer, data);
            buffer = null;
            return result;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Failure("read", key, ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static async ValueTask AppendToLogAsync(ObjectState state, Stage stage, IReadOnlyList<ObjectSegment> segments, CancellationToken cancellationToken)
    {
        // One record per run of back-to-back segments, written after the data (a record implies its bytes).
        var runs = new List<(long Start, long End)>();
        foreach (var segment in segments)
        {
            if (segment.Data.IsEmpty)
            {
                continue;
            }

            var end = segment.Offset + segment.Data.Length;
            if (runs.Count > 0 && runs[^1].End == segment.Offset)
            {
                runs[^1] = (runs[^1].Start, end);
            }
            else
            {
                runs.Add((segment.Offset, end));
            }
        }

        var bytes = new byte[runs.Count * LogRecordBytes];
        for (var i = 0; i < runs.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * LogRecordBytes), runs[i].Start);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan((i * LogRecordBytes) + 8), runs[i].End - runs[i].Start);
        }

        var at = Interlocked.Add(ref stage.LogLength, bytes.Length) - bytes.Length;
        await RandomAccess.WriteAsync(stage.LogHandle, bytes, at, cancellationToken).ConfigureAwait(false);
        lock (state)
        {
            foreach (var (start, end) in runs)
            {
                stage.Extents.Add(start, end - start);
            }
        }
    }

    private static Stage CreateStage(ObjectPath path, ulong epoch)
    {
        // Shadow first, then the log: a log without its shadow means "applied by rename" when loading.
        var shadowPath = path.File + ShadowSuffix;
        var logPath = path.File + LogSuffix;
        var shadow = BlockStore.OpenForWrite(path.Directory, shadowPath, FileMode.Create, FileAccess.ReadWrite);
        try
        {
            var log = BlockStore.OpenForWrite(path.Directory, logPath, FileMode.Create, FileAccess.ReadWrite);
            var header = new byte[LogHeaderBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(header, LogMagic);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), epoch);
            RandomAccess.Write(log, header, 0);
            return new Stage(epoch, shadowPath, logPath, shadow, log, LogHeaderBytes, new IntervalSet());
        }
        catch
        {
            shadow.Dispose();
            throw;
        }
    }

    private async ValueTask<ObjectState> GetStateAsync(ObjectKey key, ObjectPath path, CancellationToken cancellationToken)
    {
        var state = _states.GetOrAdd(key, static _ => new ObjectState());
        if (Volatile.Read(ref state.Loaded))
        {
            return state;
        }

        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!state.Loaded)
            {
                Load(key, path, state);
                Volatile.Write(ref state.Loaded, true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Failure("load", key, ex);
        }
        finally
        {
            state.Gate.Release();
        }

        return state;
    }

    // What a previous run of this server left: the marks, and a stage if one was being written.
    private void Load(ObjectKey key, ObjectPath path, ObjectState state)
    {
        (state.Floor, state.Sealed) = ReadMarks(path.File);
        var shadowPath = path.File + ShadowSuffix;
        var logPath = path.File + LogSuffix;
        byte[] log;
        try
        {
            log = File.ReadAllBytes(logPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // No log: no stage, or one whose log was never begun (nothing in it was ever acknowledged).
            TryDelete(shadowPath);
            return;
        }

        if (!File.Exists(shadowPath))
        {
            // Applied by rename (or dropped) before the log could go.
            TryDelete(logPath);
            return;
        }

        if (log.Length < LogHeaderBytes || BinaryPrimitives.ReadUInt64LittleEndian(log) != LogMagic)
        {
            Log.UnreadableStage(_logger, key.Name, key.Generation);
            TryDelete(shadowPath);
            TryDelete(logPath);
            return;
        }

        var epoch = BinaryPrimitives.ReadUInt64LittleEndian(log.AsSpan(8));
        var extents = new IntervalSet();
        var records = (log.Length - LogHeaderBytes) / LogRecordBytes;
        for (var i = 0; i < records; i++)
        {
            var at = LogHeaderBytes + (i * LogRecordBytes);
            var start = BinaryPrimitives.ReadInt64LittleEndian(log.AsSpan(at));
            var length = BinaryPrimitives.ReadInt64LittleEndian(log.AsSpan(at + 8));
            // A record slot a crash left unwritten reads as zeros; anything out of range is damage.
            if (length > 0 && start >= 0 && start <= BlockStore.MaxObjectBytes - length)
            {
                extents.Add(start, length);
            }
        }

        var shadow = File.OpenHandle(shadowPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var logHandle = File.OpenHandle(logPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        state.Stage = new Stage(epoch, shadowPath, logPath, shadow, logHandle, LogHeaderBytes + (records * LogRecordBytes), extents);
        state.Floor = Math.Max(state.Floor, epoch);
        Log.FoundStage(_logger, key.Name, key.Generation, epoch, extents.Count);
    }

    private static (ulong Floor, ulong Sealed) ReadMarks(string objectFile)
    {
        try
        {
            var bytes = File.ReadAllBytes(MarksFile(objectFile));
            return bytes.Length switch
            {
                8 => (BinaryPrimitives.ReadUInt64LittleEndian(bytes), 0),
                16 => (BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8))),
                _ => (0, 0),
            };
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (0, 0);
        }
    }

    // Caller holds the gate, so writes of the marks never race each other.
    private async ValueTask PersistMarksAsync(ObjectKey key, ObjectPath path, ObjectState state)
    {
        var bytes = new byte[16];
        lock (state)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, state.Floor);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), state.Sealed);
        }

        try
        {
            Directory.CreateDirectory(path.Directory);
            var temp = $"{MarksFile(path.File)}.{Guid.NewGuid():N}.tmp";
            await File.WriteAllBytesAsync(temp, bytes).ConfigureAwait(false);
            File.Move(temp, MarksFile(path.File), overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw _store.Failure("record epoch", key, ex);
        }
    }

    private static void TryDelete(string file)
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

    private sealed class ObjectState
    {
        // Serializes what changes the shape of the object: loading, creating and settling stages, marks.
        public readonly SemaphoreSlim Gate = new(1, 1);
        public bool Loaded;

        // The rest under lock (this).
        public ulong Floor;
        public ulong Sealed;
        public Stage? Stage;
    }

    private sealed class Stage(ulong epoch, string shadowPath, string logPath, SafeFileHandle shadow, SafeFileHandle log, long logLength, IntervalSet extents)
    {
        public readonly ulong Epoch = epoch;
        public readonly string ShadowPath = shadowPath;
        public readonly string LogPath = logPath;
        public readonly SafeFileHandle Shadow = shadow;
        public readonly SafeFileHandle LogHandle = log;
        public readonly IntervalSet Extents = extents;
        public long LogLength = logLength;

        // Under the owning ObjectState's lock.
        public int InFlight;
        public bool Closing;
        public TaskCompletionSource? Drained;

        public void CloseHandles()
        {
            Shadow.Dispose();
            LogHandle.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Debug, "Staged writes of {Name}/{Generation} epoch {Epoch} {Outcome}")]
        public static partial void Resolved(ILogger logger, string name, ulong generation, ulong epoch, string outcome);

        [LoggerMessage(11, LogLevel.Information, "Found staged writes of {Name}/{Generation} epoch {Epoch} ({Extents} extents) from an earlier run")]
        public static partial void FoundStage(ILogger logger, string name, ulong generation, ulong epoch, int extents);

        [LoggerMessage(12, LogLevel.Warning, "Dropped an unreadable stage of {Name}/{Generation}")]
        public static partial void UnreadableStage(ILogger logger, string name, ulong generation);
    }
}
