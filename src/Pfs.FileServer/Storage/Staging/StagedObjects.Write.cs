using Pfs.FileServer.Storage.Sums;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage.Staging;

// Writes: into the writer's stage, never into the object.
public sealed partial class StagedObjects
{
    /// <summary>
    /// Stages <paramref name="segments"/> for writer <paramref name="access"/> (so overlapping segments: the
    /// last wins), after cutting the writer's view of the object to <paramref name="truncate"/> bytes if
    /// that is set (see <see cref="StagedChanges"/>). With <paramref name="sync"/> everything this writer
    /// staged here is on stable storage when this returns. No segments and no cut: only admits the epoch
    /// (a fence), and syncs if asked.
    /// <para>
    /// With a <paramref name="checksumBlock"/>, every segment starts on a multiple of it and carries the
    /// sum of each of its chunks; every sum is checked before anything is staged, and kept with the bytes
    /// (see <see cref="SumFile"/>). Without, the blocks written keep no sum (they read unchecked).
    /// </para>
    /// </summary>
    /// <returns>The bytes written: the sum of the segments' lengths.</returns>
    /// <exception cref="BlockStoreException">StaleEpoch if a newer writer has been seen or this epoch is finished here;
    /// DataLoss if a sum does not match its bytes.</exception>
    public async ValueTask<long> WriteAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectSegment> segments, bool sync, long? truncate = null,
                                            int checksumBlock = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var path = ObjectPath.Resolve(_store.StripesRoot, key);

        // A malformed request is refused before it can raise the object's epoch floor.
        var total = ObjectRequests.ValidateSegments(segments);
        ValidateTruncate(truncate);
        VerifySums(segments, checksumBlock);
        var cut = truncate is not null;
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        var unit = AdoptUnit(state, checksumBlock);
        var stage = await AdmitAsync(state, access, create: total > 0 || cut, exclusive: cut, cancellationToken).ConfigureAwait(false);
        if (stage is null)
        {
            return 0;
        }

        try
        {
            stage.OpenHandles();
            if (truncate is { } cutAt)
            {
                await CutAsync(state, stage, cutAt, unit).ConfigureAwait(false);
            }

            if (total > 0)
            {
                var entries = unit > 0 ? EntriesFor(state, stage, segments, checksumBlock > 0, unit) : null;
                var runs = await stage.RecordAsync(
                    segments,
                    total,
                    entries is null ? null : () =>
                    {
                        var sums = stage.SumsFor(state.Path, unit);
                        foreach (var (first, blockEntries) in entries)
                        {
                            SumFile.Write(sums, first, blockEntries);
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
                lock (state)
                {
                    foreach (var (start, length) in runs)
                    {
                        stage.Changes.Add(start, length);
                    }
                }
            }

            if (sync || _store.SyncWrites)
            {
                stage.Flush();
            }
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "write", key, ex);
        }
        finally
        {
            Leave(state, stage, exclusive: cut);
        }

        return total;
    }

    private static void ValidateTruncate(long? truncate)
    {
        if (truncate is < 0)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, $"truncate to {truncate} bytes: the length is negative");
        }

        if (truncate > PfsLimits.MaxObjectBytes)
        {
            throw new BlockStoreException(BlockStoreError.OutOfRange, $"truncate to {truncate} bytes: past the largest object ({PfsLimits.MaxObjectBytes} bytes)");
        }
    }

    // Every sum against its bytes, before anything of the call is staged: a mismatch means the bytes
    // were damaged on the way (or the writer's memory), and none of them may land.
    private static void VerifySums(IReadOnlyList<ObjectSegment> segments, int checksumBlock)
    {
        if (checksumBlock == 0)
        {
            return;
        }

        if (BlockChecksum.Validate(checksumBlock) is { } why)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, why);
        }

        foreach (var segment in segments)
        {
            if (segment.Offset % checksumBlock != 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"segment at {segment.Offset} does not start on a multiple of the checksum block {checksumBlock}");
            }

            var chunks = BlockChecksum.ChunkCount(segment.Data.Length, checksumBlock);
            var sums = segment.Sums ?? [];
            if (sums.Count != chunks)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"segment at {segment.Offset} has {chunks} chunks of {checksumBlock} bytes but {sums.Count} sums");
            }

            var data = segment.Data.Span;
            for (var i = 0; i < chunks; i++)
            {
                var at = i * checksumBlock;
                if (BlockChecksum.Compute(data.Slice(at, Math.Min(checksumBlock, data.Length - at)), checksumBlock) != sums[i])
                {
                    throw new BlockStoreException(BlockStoreError.DataLoss, $"the bytes at {segment.Offset + at} do not match their checksum: damaged on the way; nothing of this write was kept");
                }
            }
        }
    }

    // The object's checksum block, taken from this write if it has none yet.
    private static int AdoptUnit(ObjectState state, int checksumBlock)
    {
        lock (state)
        {
            if (checksumBlock == 0 || state.SumUnit == checksumBlock)
            {
                return state.SumUnit;
            }

            if (state.SumUnit != 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"the object's checksum block is {state.SumUnit}, not {checksumBlock}");
            }

            state.SumUnit = checksumBlock;
            return checksumBlock;
        }
    }

    // What each segment leaves as the sums of the blocks it touches: its own sums, or none (a write
    // without sums, and a short chunk that does not end the writer's view in its block: the bytes past
    // it are not the zeros its sum stands for).
    private static List<(long First, SumEntry[] Entries)> EntriesFor(ObjectState state, Stage stage, IReadOnlyList<ObjectSegment> segments, bool withSums, int unit)
    {
        var result = new List<(long, SumEntry[])>(segments.Count);
        long? viewLength = null;
        foreach (var segment in segments)
        {
            if (segment.Data.IsEmpty)
            {
                continue;
            }

            var first = segment.Offset / unit;
            var entries = new SumEntry[SumFile.BlocksOf(segment.Offset + segment.Data.Length, unit) - first];
            if (withSums)
            {
                for (var i = 0; i < entries.Length; i++)
                {
                    entries[i] = SumEntry.Valid(segment.Sums![i], unit);
                }

                var end = segment.Offset + segment.Data.Length;
                if (end % unit != 0)
                {
                    viewLength ??= ViewLength(state, stage);
                    if (viewLength > end)
                    {
                        entries[^1] = SumEntry.None;
                    }
                }
            }

            result.Add((first, entries));
        }

        return result;
    }

    // A cut, with the sums kept true: the block it falls into (if it cuts bytes away there) is restaged
    // up to the cut with the sum of what is left, checked first against the sum it had, so damage is not
    // laundered into a fresh sum. The cut and the restaged run go into the log in one append.
    private async ValueTask CutAsync(ObjectState state, Stage stage, long cutAt, int unit)
    {
        if (unit > 0 && cutAt % unit != 0 && cutAt < ViewLength(state, stage))
        {
            var block = cutAt / unit;
            var start = block * unit;
            using var view = await ReadThroughStageAsync(state, stage, [new ObjectRange(start, unit)], CancellationToken.None).ConfigureAwait(false);
            var old = ViewEntries(state, stage, block, 1)[0];
            var kept = view.Data[0][..(int)(cutAt - start)];
            var entry = old.IsValidFor(unit)
                ? (SumCheck.Matches(view.Data[0].Span, old, unit) ? SumEntry.Valid(BlockChecksum.Compute(kept.Span, unit), unit) : SumEntry.Damaged(unit))
                : old;
            await RandomAccess.WriteAsync(stage.Shadow, kept, start).ConfigureAwait(false);
            SumFile.Write(stage.SumsFor(state.Path, unit), block, [entry]);
            await stage.RecordCutAndRunAsync(cutAt, start).ConfigureAwait(false);
            lock (state)
            {
                stage.Changes.Cut(cutAt);
                stage.Changes.Add(start, cutAt - start);
            }
        }
        else
        {
            if (unit > 0)
            {
                // Made now if not yet, so that applying the stage cuts the object's sums too (see ApplySums).
                _ = stage.SumsFor(state.Path, unit);
            }

            await stage.RecordCutAsync(cutAt).ConfigureAwait(false);
            lock (state)
            {
                stage.Changes.Cut(cutAt);
            }
        }

        stage.CutShadow(cutAt, unit);
    }

    // The length of the writer's view of the object now.
    private static long ViewLength(ObjectState state, Stage stage)
    {
        var committed = CommittedLength(state.Path);
        lock (state)
        {
            return stage.Changes.ViewLength(committed);
        }
    }

    private static long CommittedLength(ObjectPath path)
    {
        try
        {
            return new FileInfo(path.File).Length;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    // The sums of `count` blocks from `first` as the writer sees them: a block its stage touched has the
    // stage's sum, one it did not has the committed sum while the view still shows committed bytes there.
    private static SumEntry[] ViewEntries(ObjectState state, Stage stage, long first, int count)
    {
        var unit = state.SumUnit;
        var entries = new SumEntry[count];
        if (unit == 0)
        {
            return entries;
        }

        var committedLength = CommittedLength(state.Path);
        var touched = new bool[count];
        long visible;
        lock (state)
        {
            visible = stage.Changes.VisibleCommitted(committedLength);
            for (var i = 0; i < count; i++)
            {
                touched[i] = stage.Changes.Extents.Intersect((first + i) * unit, unit).Count > 0;
            }
        }

        var staged = new SumEntry[count];
        if (stage.SumsIfAny is { } sums)
        {
            SumFile.Read(sums, first, staged);
        }

        SumFile.Read(SumFile.CommittedOf(state.Path), first, entries);
        for (var i = 0; i < count; i++)
        {
            entries[i] = touched[i] ? staged[i] : ((first + i) * unit < visible ? entries[i] : SumEntry.None);
        }

        return entries;
    }
}
