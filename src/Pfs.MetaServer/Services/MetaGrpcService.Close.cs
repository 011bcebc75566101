using Grpc.Core;
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
                throw new RpcException(new Status(StatusCode.Internal, $"file '{entry.Name}' vanished while handle {entry.Handle} held it"));
            }

            if (entry.Kind == LockKind.Read)
            {
                result = current;
            }
            else
            {
                if (request.Size < 0)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"size {request.Size} must not be negative"));
                }

                var dirty = DirtyRanges.Normalize(request.Dirty);
                result = await _registry.CompleteWriteAsync(current, request.Size);
                _epochs.ClosedCleanly(current.FileId);
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
