using System.Buffers;

namespace Pfs.FileServer.Storage.Staging;

// Reads: committed bytes for everyone, with the writer's own staged bytes over them for that writer.
public sealed partial class StagedObjects
{
    /// <summary>
    /// Reads ranges of an object as <paramref name="access"/> may see it: the writer holding the
    /// object's stage sees the object as its staged bytes and cuts changed it (see
    /// <see cref="StagedChanges"/>); everyone else sees committed bytes only
    /// (after the stage is settled, if their capability shows it to be finished).
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(_store.StripesRoot, key);
        ObjectRequests.ValidateRanges(ranges);
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
            return await _store.ReadAsync(key, ranges, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await ReadThroughStageAsync(state, own, ranges, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Leave(state, own);
        }
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
