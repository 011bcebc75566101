namespace Pfs.FileServer.Storage.Staging;

// Admitting a writer's calls: the fence (floor and seal), and counting the calls inside a stage so
// that settling it waits for them.
public sealed partial class StagedObjects
{
    // Admits a call of writer `access`: refuses a stale epoch, settles an older stage, raises the floor.
    // Returns the writer's own stage with the call counted in (made if `create`), or null. An `exclusive`
    // call (one that cuts) runs alone in the stage: it waits for the calls inside, later ones wait for it.
    private async ValueTask<Stage?> AdmitAsync(ObjectState state, ObjectAccess access, bool create, bool exclusive, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            Stage? own = null;
            lock (state)
            {
                ThrowIfStale(state, access.Epoch);
                if (state.Stage is { Closing: false } current && current.Epoch == access.Epoch)
                {
                    wait = current.Enter(exclusive, out var entered);
                    own = entered ? current : null;
                }
                else if (state.Stage is null && access.Epoch == state.Floor && !create)
                {
                    return null;
                }
            }

            if (own is null && wait is null)
            {
                (own, wait) = await AdmitUnderGateAsync(state, access, create, exclusive, cancellationToken).ConfigureAwait(false);
                if (own is null && wait is null)
                {
                    return null;
                }
            }

            if (own is not null)
            {
                return await WaitForQuietAsync(state, own, wait, cancellationToken).ConfigureAwait(false);
            }

            // A call that runs alone is inside the stage: wait for it to finish, then try again.
            await wait!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // The slow path of admission, under the gate: settles an older stage, raises the floor, makes the
    // stage. Returns the stage entered (with what it must wait for before it may go on), or no stage and
    // the call running alone to wait for, or neither (nothing to enter).
    private async ValueTask<(Stage? Stage, Task? Wait)> AdmitUnderGateAsync(ObjectState state, ObjectAccess access, bool create, bool exclusive, CancellationToken cancellationToken)
    {
        using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
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

                    var wait = staged.Enter(exclusive, out var entered);
                    return (entered ? staged : null, wait);
                }

                // The floor rises first, so no write of the older epoch is admitted from here on.
                older = state.Stage;
                raised = access.Epoch > state.Floor;
                state.Floor = Math.Max(state.Floor, access.Epoch);
            }

            if (older is not null)
            {
                await SettleFinishedStageAsync(state, older, access).ConfigureAwait(false);
            }
            else if (raised)
            {
                WriteMarks(state);
            }

            if (!create)
            {
                return (null, null);
            }

            var stage = CreateStage(state, access.Epoch);
            lock (state)
            {
                state.Stage = stage;

                // The stage is new, so nothing is inside it to wait for.
                _ = stage.Enter(exclusive, out _);
            }

            return (stage, null);
        }
    }

    // An exclusive call that got in waits for the calls already inside; if it gives up, it leaves.
    private static async ValueTask<Stage> WaitForQuietAsync(ObjectState state, Stage stage, Task? quiet, CancellationToken cancellationToken)
    {
        if (quiet is null)
        {
            return stage;
        }

        try
        {
            await quiet.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(state, stage, exclusive: true);
            throw;
        }

        return stage;
    }

    private static void Leave(ObjectState state, Stage stage, bool exclusive = false)
    {
        lock (state)
        {
            stage.Leave(exclusive);
        }
    }

    private static void ThrowIfStale(ObjectState state, ulong epoch)
    {
        ThrowIfDeleted(state);
        if (epoch < state.Floor)
        {
            throw Stale(epoch, "a newer writer has written this object");
        }

        if (epoch <= state.Sealed)
        {
            throw Stale(epoch, "its writes here were already committed or dropped");
        }
    }

    // Under the state's lock.
    private static void ThrowIfDeleted(ObjectState state)
    {
        if (state.Deleted)
        {
            throw new BlockStoreException(BlockStoreError.Deleted, $"generation {state.Key.Generation} was deleted on this file server");
        }
    }

    private static BlockStoreException Stale(ulong epoch, string why) =>
        new(BlockStoreError.StaleEpoch, $"stale writer: epoch {epoch} is finished on this server ({why})");

    // Makes a stage, unless the server holds as many as it may.
    private Stage CreateStage(ObjectState state, ulong epoch)
    {
        if (Interlocked.Increment(ref _liveStages) > _maxStages)
        {
            Interlocked.Decrement(ref _liveStages);
            throw new BlockStoreException(BlockStoreError.Busy, $"too many writers in progress on this file server ({_maxStages}); retry");
        }

        try
        {
            return Stage.Create(state.Path, epoch, _store.WritebackBytes);
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            Interlocked.Decrement(ref _liveStages);
            throw IoErrors.Failure(_logger, "write", state.Key, ex);
        }
    }
}
