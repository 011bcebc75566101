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
    /// </summary>
    /// <returns>The bytes written: the sum of the segments' lengths.</returns>
    /// <exception cref="BlockStoreException">StaleEpoch if a newer writer has been seen or this epoch is finished here.</exception>
    public async ValueTask<long> WriteAsync(ObjectKey key, ObjectAccess access, IReadOnlyList<ObjectSegment> segments, bool sync, long? truncate = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var path = ObjectPath.Resolve(_store.StripesRoot, key);

        // A malformed request is refused before it can raise the object's epoch floor.
        var total = ObjectRequests.ValidateSegments(segments);
        ValidateTruncate(truncate);
        var cut = truncate is not null;
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
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
                await stage.RecordCutAsync(cutAt).ConfigureAwait(false);
                lock (state)
                {
                    stage.Changes.Cut(cutAt);
                }

                stage.CutShadow(cutAt);
            }

            if (total > 0)
            {
                var runs = await stage.RecordAsync(segments, cancellationToken).ConfigureAwait(false);
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
}
