namespace Pfs.FileServer.Storage.Staging;

// Writes: into the writer's stage, never into the object.
public sealed partial class StagedObjects
{
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

        // A malformed request is refused before it can raise the object's epoch floor.
        var total = ObjectRequests.ValidateSegments(segments);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        var stage = await AdmitAsync(state, access, create: total > 0, cancellationToken).ConfigureAwait(false);
        if (stage is null)
        {
            return 0;
        }

        try
        {
            if (total > 0)
            {
                var runs = await stage.RecordAsync(segments, cancellationToken).ConfigureAwait(false);
                lock (state)
                {
                    foreach (var (start, length) in runs)
                    {
                        stage.Extents.Add(start, length);
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
            Leave(state, stage);
        }

        return total;
    }
}
