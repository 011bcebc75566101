namespace Pfs.FileServer.Storage.Staging;

// Admitting a writer's calls: the fence (floor and seal), and counting the calls inside a stage so
// that settling it waits for them.
public sealed partial class StagedObjects
{
    // Admits a call of writer `access`: refuses a stale epoch, settles an older stage, raises the floor.
    // Returns the writer's own stage with the call counted in (made if `create`), or null.
    private async ValueTask<Stage?> AdmitAsync(ObjectState state, ObjectAccess access, bool create, CancellationToken cancellationToken)
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
                await SettleAsync(state, older, apply: access.HasCommitted(older.Epoch)).ConfigureAwait(false);
            }
            else if (raised)
            {
                WriteMarks(state);
            }

            if (!create)
            {
                return null;
            }

            var stage = CreateStage(state, access.Epoch);
            lock (state)
            {
                state.Stage = stage;
                stage.InFlight++;
            }

            return stage;
        }
    }

    private static void Leave(ObjectState state, Stage stage)
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

    private Stage CreateStage(ObjectState state, ulong epoch)
    {
        try
        {
            return Stage.Create(state.Path, epoch);
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "write", state.Key, ex);
        }
    }
}
