using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    public override async Task<CloseReply> Close(CloseRequest request, ServerCallContext context)
    {
        var clientId = RequireClientId(request.ClientId);
        var entry = _opens.BeginClose(clientId, request.Handle);
        FileRecord result;
        var recipients = 0;
        try
        {
            // The handle's lock keeps the file from being deleted, so it is still there.
            var current = _registry.Find(entry.Name);
            if (current is null || current.FileId != entry.FileId)
            {
                throw new MetaException(MetaErrorCode.Internal, $"file '{entry.Name}' vanished while handle {entry.Handle} held it");
            }

            if (entry.Kind == LockKind.Read)
            {
                result = current;
            }
            else
            {
                if (request.Size < 0)
                {
                    throw MetaException.InvalidArgument($"size {request.Size} must not be negative");
                }

                var dirty = DirtyRanges.Normalize(request.Dirty);
                var written = WrittenPositions(request, current);
                var epoch = written.Count > 0 ? entry.Epoch : 0;
                var pending = epoch == 0 || current.PendingCommits.Contains(epoch) ? current.PendingCommits : [.. current.PendingCommits, epoch];
                if (pending.Count > MaxPendingCommits)
                {
                    throw MetaException.Unavailable(
                        $"'{current.Name}' has {current.PendingCommits.Count} commits that file servers have not confirmed; bring its servers back before closing more writes");
                }

                // The commit point: once the record (with the epoch pending) is stored, what the writer
                // staged is the file's content, even if a file server is only told later.
                result = await _registry.CompleteWriteAsync(current, request.Size, pending).ConfigureAwait(false);
                _epochs.ClosedCleanly(current.FileId);
                if (result.PendingCommits.Count > 0)
                {
                    var applied = await _committer.CommitAsync(result, epoch, written).ConfigureAwait(false);
                    result = _registry.ForgetApplied(result, applied);
                }

                if (dirty.Count > 0)
                {
                    recipients = PublishInvalidate(result, dirty, clientId);
                }
            }
        }
        catch
        {
            // Keep the handle and its lock: the client may retry the close (e.g. once the store is back).
            _opens.AbortClose(entry);
            throw;
        }

        // Only now, after the invalidation is queued, may the next opener get the lock.
        _opens.FinishClose(entry);
        entry.Lease?.Release();
        LogClosed(_logger, clientId, result.Name, entry.Kind, result.Version, result.Size, recipients);
        return new CloseReply { File = result.ToFileInfo() };
    }

    // Bounds what every capability of the file carries while servers stay unreachable.
    private const int MaxPendingCommits = 64;

    private static HashSet<int> WrittenPositions(CloseRequest request, FileRecord file)
    {
        var positions = new HashSet<int>();
        foreach (var position in request.WrittenServers)
        {
            if (position < 0 || position >= file.StripeWidth || position >= file.Servers.Count)
            {
                throw MetaException.InvalidArgument(
                    $"written server {position} is not a stripe position of '{file.Name}' (width {file.StripeWidth})");
            }

            positions.Add(position);
        }

        return positions;
    }

    private int PublishInvalidate(FileRecord file, IReadOnlyList<BlockRange> dirty, string writerClientId)
    {
        using var activity = MetaServerTelemetry.Source.StartActivity("pfs.meta.invalidate");
        activity?.SetTag("pfs.file.name", file.Name);
        activity?.SetTag("pfs.invalidate.ranges", dirty.Count);

        // One payload for all: each subscriber gets its own Notice (its own seq) around it, and nobody mutates it.
        var invalidate = new Invalidate
        {
            Name = file.Name,
            FileId = file.FileId,
            Blocks = { dirty },
            Version = file.Version,
            Size = file.Size,
        };
        var recipients = _sessions.Broadcast(() => new Notice { Invalidate = invalidate }, writerClientId);
        activity?.SetTag("pfs.invalidate.recipients", recipients);
        return recipients;
    }
}
