namespace Pfs.FileServer.Storage.Staging;

// What a previous run of this server left beside an object: its marks, and a stage if one was being
// written. Runs once per object, under its gate, before any call uses the object.
public sealed partial class StagedObjects
{
    private void Recover(ObjectState state)
    {
        var path = state.Path;
        if (_store.Deleted.Contains(state.Key.Generation))
        {
            // Whatever a crash in the middle of its delete left goes now.
            state.Deleted = true;
            RemoveFiles(state);
            return;
        }

        var marks = EpochMarks.Read(path);
        (state.Floor, state.Sealed, state.Dropped) = (marks.Floor, marks.Sealed, marks.Dropped);

        var shadowPath = Stage.ShadowOf(path);
        var sumsShadow = Sums.SumFile.ShadowOf(path);
        state.SumUnit = Sums.SumFile.ReadUnit(Sums.SumFile.CommittedOf(path));
        if (!StageLog.Exists(path))
        {
            // No log: no stage, or one whose log was never begun (nothing in it was ever acknowledged).
            ObjectFiles.TryDelete(shadowPath);
            ObjectFiles.TryDelete(sumsShadow);
            return;
        }

        if (!File.Exists(shadowPath))
        {
            // Applied by rename (or dropped) before the log could go; the sums went before the shadow.
            ObjectFiles.TryDelete(sumsShadow);
            StageLog.TryDelete(path);
            return;
        }

        if (state.SumUnit == 0)
        {
            state.SumUnit = Sums.SumFile.ReadUnit(sumsShadow);
        }

        var changes = new StagedChanges();
        var log = StageLog.Reopen(path, out var epoch, changes);
        if (log is null)
        {
            Log.Unreadable(_logger, state.Key.Name, state.Key.Generation);
            ObjectFiles.TryDelete(shadowPath);
            ObjectFiles.TryDelete(sumsShadow);
            StageLog.TryDelete(path);
            return;
        }

        if (epoch <= state.Sealed)
        {
            // Its epoch is sealed, so its end had begun: a drop writes the marks before it deletes the stage (an apply
            // never leaves the shadow behind its marks). The crash came in between; the drop is finished now.
            ObjectFiles.TryDelete(shadowPath);
            ObjectFiles.TryDelete(sumsShadow);
            StageLog.TryDelete(path);
            Log.DropFinished(_logger, state.Key.Name, state.Key.Generation, epoch);
            return;
        }

        state.Stage = Stage.Reopen(path, epoch, log, changes, _store.WritebackBytes);
        Interlocked.Increment(ref _liveStages);
        state.Floor = Math.Max(state.Floor, epoch);
        Log.Recovered(_logger, state.Key.Name, state.Key.Generation, epoch, changes.Extents.Count);
    }
}
