using Pfs.FileServer.Diagnostics;
using Pfs.FileServer.Storage.Sums;

namespace Pfs.FileServer.Storage.Staging;

// Damage: recording what reads and the scrub find, and forgetting it when a commit rewrites it.
public sealed partial class StagedObjects
{
    // A failure to record is logged, not thrown: the read still withholds the block, and the scrub finds it again.
    private void RecordDamage(ObjectKey key, long offset, int unit)
    {
        try
        {
            if (_store.Damage.Add(new DamagedBlock(key.Generation, offset, unit)))
            {
                FileServerTelemetry.DamagedBlocks.Add(1);
                Log.Damaged(_logger, key.Name, key.Generation, offset, unit);
            }
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            Log.DamageNotRecorded(_logger, key.Generation, offset, ex.Message);
        }
    }

    // After a commit: damage in what it rewrote, or cut away, is gone.
    private void ForgetRewritten(ObjectState state, Stage stage)
    {
        try
        {
            var changes = stage.Changes;
            if (changes.CutBase is { } cut)
            {
                _store.Damage.Remove(state.Key.Generation, cut, long.MaxValue);
            }

            foreach (var (start, length) in changes.Extents.Ranges())
            {
                _store.Damage.Remove(state.Key.Generation, start, start + length);
            }
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            Log.DamageNotRecorded(_logger, state.Key.Generation, -1, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "BlockDamaged", Level = LogLevel.Error, Message = "Damaged block in {Name}/{Generation}: the {BlockSize}-byte block at object offset {Offset} does not match its checksum; withheld from readers and listed for repair")]
        public static partial void Damaged(ILogger logger, string name, ulong generation, long offset, int blockSize);

        [LoggerMessage(EventId = 21, EventName = "DamageNotRecorded", Level = LogLevel.Warning, Message = "Could not update the damaged-block list for generation {Generation} (offset {Offset}): {Reason}")]
        public static partial void DamageNotRecorded(ILogger logger, ulong generation, long offset, string reason);
    }
}
