using System.Buffers;

namespace Pfs.FileServer.Storage.Staging;

// Reads: committed bytes for everyone, with the writer's own staged bytes over them for that writer.
public sealed partial class StagedObjects
{
    /// <summary>
    /// Reads ranges of an object as <paramref name="access"/> may see it: the writer holding the
    /// object's stage sees its staged bytes over the object's; everyone else sees committed bytes only
    /// (after the stage is settled, if their capability shows it to be finished).
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(_store.ObjectsRoot, key);
        ObjectRequests.ValidateRanges(ranges);
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
                    settle = IsFinishedFor(stage, access);
                }
            }
        }

        if (settle)
        {
            await SettleFinishedAsync(state, access, cancellationToken).ConfigureAwait(false);
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
        long stagedEnd;
        lock (state)
        {
            stagedEnd = stage.Extents.End;
            for (var i = 0; i < ranges.Count; i++)
            {
                staged[i] = stage.Extents.Intersect(ranges[i].Offset, ranges[i].Length);
            }
        }

        using var committed = await _store.ReadAsync(state.Key, ranges, cancellationToken).ConfigureAwait(false);

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
