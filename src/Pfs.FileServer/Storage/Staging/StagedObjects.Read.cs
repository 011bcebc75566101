using System.Buffers;
using Pfs.FileServer.Storage.Sums;

namespace Pfs.FileServer.Storage.Staging;

// Reads: committed bytes for everyone, with the writer's own staged bytes over them for that writer.
public sealed partial class StagedObjects
{
    /// <summary>
    /// Reads ranges of an object as <paramref name="access"/> may see it: the writer holding the
    /// object's stage sees the object as its staged bytes and cuts changed it (see
    /// <see cref="StagedChanges"/>); everyone else sees committed bytes only
    /// (after the stage is settled, if their capability shows it to be finished).
    /// <para>
    /// With a <paramref name="checksumBlock"/> (ranges on its multiples), every block read is checked
    /// against its sum and the result carries the sums; a block that fails is withheld (zeros, listed in
    /// <see cref="ObjectReadResult.Damaged"/>) and, if committed, recorded in <see cref="BlockStore.Damage"/>.
    /// </para>
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectRange> ranges, int checksumBlock = 0,
                                                       CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(_store.StripesRoot, key);
        ObjectRequests.ValidateRanges(ranges);
        if (checksumBlock != 0)
        {
            SumCheck.ValidateRanges(ranges, checksumBlock);
        }

        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);

        Stage? own;
        while (true)
        {
            Task? wait = null;
            own = null;
            var settle = false;
            lock (state)
            {
                ThrowIfDeleted(state);
                if (state.Stage is { } stage)
                {
                    if (access.Write && stage.Epoch == access.Epoch && !stage.Closing)
                    {
                        wait = stage.Enter(exclusive: false, out var entered);
                        own = entered ? stage : null;
                    }
                    else
                    {
                        settle = IsFinishedFor(stage, access);
                    }
                }
            }

            if (settle)
            {
                await SettleFinishedAsync(state, access, cancellationToken).ConfigureAwait(false);
            }

            if (wait is null)
            {
                break;
            }

            // The writer's own cut is running: read what it leaves.
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (own is null)
        {
            var committed = await _store.ReadAsync(key, ranges, cancellationToken).ConfigureAwait(false);
            return checksumBlock == 0 ? committed : await CheckCommittedAsync(state, ranges, committed, checksumBlock, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var result = await ReadThroughStageAsync(state, own, ranges, cancellationToken).ConfigureAwait(false);
            if (checksumBlock != 0)
            {
                try
                {
                    var entries = new List<SumEntry>();
                    var blocks = SumCheck.Blocks(ranges, result, checksumBlock);
                    foreach (var (first, count) in blocks)
                    {
                        entries.AddRange(ViewEntries(state, own, first, count));
                    }

                    SumCheck.Withhold(result, ranges, SumCheck.Compute(result, ranges, blocks, [.. entries], checksumBlock), checksumBlock);
                }
                catch
                {
                    result.Dispose();
                    throw;
                }
            }

            return result;
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "read", key, ex);
        }
        finally
        {
            Leave(state, own);
        }
    }

    // Checks committed bytes against their sums. A mismatch may only be a commit that was applying while
    // the bytes and sums were read (each is replaced in its own step), so such a read is done again under
    // the object's gate, which a commit holds: what fails then is damage, recorded and withheld.
    private async ValueTask<ObjectReadResult> CheckCommittedAsync(ObjectState state, IReadOnlyList<ObjectRange> ranges, ObjectReadResult result, int unit,
                                                                  CancellationToken cancellationToken)
    {
        try
        {
            if (CommittedFailures(state, ranges, result, unit).Count == 0)
            {
                return result;
            }

            result.Dispose();
            using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
            {
                result = await _store.ReadAsync(state.Key, ranges, cancellationToken).ConfigureAwait(false);
                var damaged = CommittedFailures(state, ranges, result, unit);
                foreach (var offset in damaged)
                {
                    RecordDamage(state.Key, offset, unit);
                }

                SumCheck.Withhold(result, ranges, damaged, unit);
                return result;
            }
        }
        catch (Exception ex)
        {
            result.Dispose();
            if (IoErrors.IsIo(ex))
            {
                throw IoErrors.Failure(_logger, "read", state.Key, ex);
            }

            throw;
        }
    }

    // The blocks that fail their committed sums. A block the sums file has an entry for and the object no
    // bytes (cut short or removed under the server) fails too: its sum says it was written.
    private static List<long> CommittedFailures(ObjectState state, IReadOnlyList<ObjectRange> ranges, ObjectReadResult result, int unit)
    {
        using var file = SumFile.OpenCommitted(state.Path);
        var blocks = SumCheck.Blocks(ranges, result, unit, file is null ? 0 : SumFile.EntryCount(file));
        var entries = new SumEntry[blocks.Sum(b => b.Count)];
        var at = 0;
        foreach (var (first, count) in blocks)
        {
            if (file is not null)
            {
                SumFile.Read(file, first, entries.AsSpan(at, count));
            }

            at += count;
        }

        return SumCheck.Compute(result, ranges, blocks, entries, unit);
    }

    private async ValueTask<ObjectReadResult> ReadThroughStageAsync(ObjectState state, Stage stage, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken)
    {
        var staged = new List<(long Start, long Length)>[ranges.Count];
        long viewEnd;
        long? cutBase;
        lock (state)
        {
            viewEnd = Math.Max(stage.Changes.CutLength, stage.Changes.Extents.End);
            cutBase = stage.Changes.CutBase;
            for (var i = 0; i < ranges.Count; i++)
            {
                staged[i] = stage.Changes.Extents.Intersect(ranges[i].Offset, ranges[i].Length);
            }
        }

        using var committed = await _store.ReadAsync(state.Key, ranges, cancellationToken).ConfigureAwait(false);
        try
        {
            stage.OpenHandles();
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "read", state.Key, ex);
        }

        // A range sees as far as the longer of the object (as far as the writer did not cut it) and the
        // stage (its bytes and its cuts); what neither holds reads as zeros.
        var visible = new int[ranges.Count];
        var lengths = new int[ranges.Count];
        long total = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            visible[i] = cutBase is { } cut
                ? (int)Math.Clamp(cut - ranges[i].Offset, 0, committed.Data[i].Length)
                : committed.Data[i].Length;
            var throughStage = Math.Clamp(viewEnd - ranges[i].Offset, 0, ranges[i].Length);
            lengths[i] = (int)Math.Max(visible[i], throughStage);
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
                committed.Data[i][..visible[i]].CopyTo(slot);
                slot.Span[visible[i]..].Clear();
                foreach (var (start, length) in staged[i])
                {
                    var part = slot.Slice((int)(start - ranges[i].Offset), (int)length);
                    var read = await ObjectFiles.ReadFullyAsync(stage.Shadow, part, start, cancellationToken).ConfigureAwait(false);
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
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "read", state.Key, ex);
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
