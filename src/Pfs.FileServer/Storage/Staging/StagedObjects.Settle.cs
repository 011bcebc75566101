namespace Pfs.FileServer.Storage.Staging;

// Ending stages: the metadata server's commit, deletes, and the stages that callers' capabilities
// show to be finished.
public sealed partial class StagedObjects
{
    /// <summary>
    /// Makes what writer <paramref name="epoch"/> staged the object's bytes, on stable storage. Idempotent:
    /// with nothing of that epoch staged (already applied, or it wrote nothing here) nothing changes.
    /// </summary>
    /// <returns>True if staged bytes were applied by this call.</returns>
    public ValueTask<bool> CommitAsync(ObjectKey key, ulong epoch, CancellationToken cancellationToken = default) =>
        EndEpochAsync(key, epoch, apply: true, cancellationToken);

    /// <summary>
    /// Drops what writer <paramref name="epoch"/> staged and seals the epoch, so its late writes are refused:
    /// the metadata server's answer to a writer whose lease ended without a close. Idempotent.
    /// </summary>
    /// <returns>True if staged bytes were dropped by this call.</returns>
    public ValueTask<bool> AbortAsync(ObjectKey key, ulong epoch, CancellationToken cancellationToken = default) =>
        EndEpochAsync(key, epoch, apply: false, cancellationToken);

    /// <summary>
    /// Removes an object with whatever is staged for it, and records its generation as deleted for good
    /// (on stable storage before anything is removed), so nothing of it is accepted again. Writer
    /// <paramref name="access"/> must not be stale. Deleting again succeeds, and removes whatever a crash
    /// left behind.
    /// </summary>
    /// <returns>Whether the object (or a stage of it) existed.</returns>
    public async ValueTask<bool> DeleteAsync(ObjectKey key, ObjectAccess access, CancellationToken cancellationToken = default)
    {
        var state = await GetStateAsync(key, ObjectPath.Resolve(_store.StripesRoot, key), cancellationToken).ConfigureAwait(false);
        using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (state)
            {
                // Only the floor: deleting again (a retry) with the same capability is fine.
                if (!state.Deleted && access.Epoch < state.Floor)
                {
                    throw Stale(access.Epoch, "a newer writer has written this object");
                }

                state.Floor = Math.Max(state.Floor, access.Epoch);
            }

            try
            {
                await _store.Deleted.AddAsync(key.Generation).ConfigureAwait(false);
            }
            catch (Exception ex) when (IoErrors.IsIo(ex))
            {
                throw IoErrors.Failure(_logger, "delete", key, ex);
            }

            Stage? stage;
            lock (state)
            {
                // From here on no call is admitted; calls inside the stage finish before it is dropped.
                state.Deleted = true;
                stage = state.Stage;
            }

            if (stage is not null)
            {
                await SettleAsync(state, stage, apply: false, SettleCause.Delete).ConfigureAwait(false);
            }

            return RemoveFiles(state) | stage is not null;
        }
    }

    // Applies (commit) or drops (abort) writer `epoch`'s stage, or only seals the epoch if nothing of it
    // is staged here. A commit of an epoch whose stage was dropped here is refused as data loss: what the
    // writer staged here is gone, and answering as if it had been applied would hide that.
    private async ValueTask<bool> EndEpochAsync(ObjectKey key, ulong epoch, bool apply, CancellationToken cancellationToken)
    {
        var state = await GetStateAsync(key, ObjectPath.Resolve(_store.StripesRoot, key), cancellationToken).ConfigureAwait(false);
        using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
        {
            Stage? stage;
            lock (state)
            {
                if (state.Deleted)
                {
                    // Nothing of a deleted generation is kept, not even its marks.
                    return false;
                }

                stage = state.Stage is { } staged && staged.Epoch == epoch ? staged : null;
            }

            if (stage is not null)
            {
                await SettleAsync(state, stage, apply, apply ? SettleCause.Commit : SettleCause.Abort).ConfigureAwait(false);
                return true;
            }

            bool sealedNow;
            lock (state)
            {
                if (apply && epoch == state.Dropped)
                {
                    throw DroppedBeforeCommit(key, epoch);
                }

                sealedNow = epoch > state.Sealed;
                state.Sealed = Math.Max(state.Sealed, epoch);
            }

            if (sealedNow)
            {
                WriteMarks(state);
            }

            return false;
        }
    }

    // Removes every file of a deleted generation: object, marks, and what a stage left. The caller
    // holds the gate, and the generation is recorded as deleted, so none of them comes back.
    private bool RemoveFiles(ObjectState state)
    {
        try
        {
            ObjectFiles.Delete(Stage.ShadowOf(state.Path));
            ObjectFiles.Delete(Sums.SumFile.ShadowOf(state.Path));
            ObjectFiles.Delete(StageLog.FileOf(state.Path));
            ObjectFiles.Delete(Sums.SumFile.CommittedOf(state.Path));
            _store.Damage.Remove(state.Key.Generation, 0, long.MaxValue);
            EpochMarks.Delete(state.Path);
            return _store.Delete(state.Key);
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "delete", state.Key, ex);
        }
    }

    // A stage whose writer is finished as far as a call by `access` can tell: named as committed, or
    // older than the caller's lock (its writer's lock has ended).
    private static bool IsFinishedFor(Stage stage, ObjectAccess access) =>
        access.HasCommitted(stage.Epoch) || stage.Epoch < access.Epoch;

    // Settles the object's stage if it is finished for `access`: applied if named as committed, else dropped.
    private async ValueTask SettleFinishedAsync(ObjectState state, ObjectAccess access, CancellationToken cancellationToken)
    {
        using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
        {
            Stage? stage;
            lock (state)
            {
                stage = state.Stage is { } staged && IsFinishedFor(staged, access) ? staged : null;
            }

            if (stage is not null)
            {
                await SettleFinishedStageAsync(state, stage, access).ConfigureAwait(false);
            }
        }
    }

    // Settles `stage`, which a call by `access` shows to be finished: applied if named as committed, else its
    // writer is gone without a commit and it is dropped. The caller holds the gate.
    private ValueTask SettleFinishedStageAsync(ObjectState state, Stage stage, ObjectAccess access) =>
        access.HasCommitted(stage.Epoch)
            ? SettleAsync(state, stage, apply: true, SettleCause.Commit)
            : SettleAsync(state, stage, apply: false, SettleCause.Superseded, access.Epoch);

    // Applies or drops a stage and seals its epoch; the caller holds the gate. Waits for the calls inside
    // the stage, and is not cancellable: once started it runs to the end (a failure leaves the stage to
    // be settled again). `by` is the epoch of the call that superseded it, for the log.
    private async ValueTask SettleAsync(ObjectState state, Stage stage, bool apply, SettleCause cause, ulong by = 0)
    {
        Task? drained = null;
        lock (state)
        {
            if (apply && stage.Epoch == state.Dropped)
            {
                // A drop of it had begun (its marks say so) and failed before the stage was gone: what is left is not
                // applied, so that a commit of it is refused here as after a finished drop.
                throw DroppedBeforeCommit(state.Key, stage.Epoch);
            }

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

        // True once a drop's marks are written (before its stage is deleted).
        var marked = false;
        try
        {
            stage.CloseHandles();
            if (apply)
            {
                await ApplyAsync(state.Path, stage).ConfigureAwait(false);
                ForgetRewritten(state, stage);
            }
            else
            {
                // A deleted generation keeps no marks (below), so only other drops record one.
                if (cause != SettleCause.Delete && !state.Deleted)
                {
                    // The marks first: a crash before the stage is gone then leaves one that they show as dropped, which
                    // the next run finishes dropping (see Recover). The other order could leave neither the stage nor
                    // the mark, and a commit of the epoch would then pass as applied.
                    lock (state)
                    {
                        state.Sealed = Math.Max(state.Sealed, stage.Epoch);
                        state.Dropped = Math.Max(state.Dropped, stage.Epoch);
                    }

                    try
                    {
                        WriteMarks(state);
                        marked = true;
                    }
                    catch (BlockStoreException ex) when (ex.Error == BlockStoreError.NoSpace)
                    {
                        // A full disk: the marks need the room the stage holds, so it goes first and they follow (below).
                    }

                    if (marked && TestCrashPoint == DropMarked)
                    {
                        ServiceDefaults.TestCrash.KillSelf(DropMarked);
                    }
                }

                File.Delete(stage.ShadowPath);
                ObjectFiles.Delete(stage.SumsPath);
            }

            lock (state)
            {
                state.Stage = null;
                state.Sealed = Math.Max(state.Sealed, stage.Epoch);
            }

            Interlocked.Decrement(ref _liveStages);

            // A deleted generation keeps no marks: the tombstone refuses every epoch.
            if (!state.Deleted && !marked)
            {
                WriteMarks(state);
            }

            stage.DeleteLog();
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, apply ? "commit" : "drop staged writes", state.Key, ex);
        }

        switch (cause)
        {
            case SettleCause.Superseded when !apply:
                // Its writer's lock ended without a commit that this server heard of: a writer that died, or
                // (were the metadata server to lose a commit) lost bytes. Either way worth a line.
                Log.DroppedUnfinished(_logger, state.Key.Name, state.Key.Generation, stage.Epoch, by);
                break;
            case SettleCause.Abort:
                Log.Settled(_logger, LogLevel.Information, state.Key.Name, state.Key.Generation, stage.Epoch, "dropped (its writer's lease ended)");
                break;
            default:
                Log.Settled(_logger, LogLevel.Debug, state.Key.Name, state.Key.Generation, stage.Epoch, apply ? "applied" : "dropped (deleted)");
                break;
        }
    }

    private enum SettleCause
    {
        /// <summary>The metadata server's commit, or a caller whose capability names the epoch as committed.</summary>
        Commit,

        /// <summary>The metadata server's abort: the writer's lease ended without a close.</summary>
        Abort,

        /// <summary>The object was deleted.</summary>
        Delete,

        /// <summary>A call of a newer epoch found the stage finished (applied if named as committed, else dropped).</summary>
        Superseded,
    }

    private static BlockStoreException DroppedBeforeCommit(ObjectKey key, ulong epoch) =>
        new(BlockStoreError.DataLoss, $"the writes of epoch {epoch} to generation {key.Generation} were dropped on this file server before their commit arrived");

    // Caller holds the gate, so writes of the marks never race each other.
    private void WriteMarks(ObjectState state)
    {
        var marks = state.Marks();
        try
        {
            marks.Write(state.Path);
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "record epoch", state.Key, ex);
        }
    }
}
