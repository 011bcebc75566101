using Google.Protobuf;
using Grpc.Core;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.ServiceDefaults;

namespace Pfs.FileServer.Services;

/// <summary>
/// The FileService wire contract over <see cref="StagedObjects"/>. The storage's refusals and failures
/// (<see cref="BlockStoreException"/>) become status codes in <see cref="StorageErrorInterceptor"/>; what is
/// refused here, before storage is asked (no object named, a capability that does not allow the call, a
/// reply too large to send), is answered with its status code directly.
/// </summary>
[BindServiceMethod(typeof(FileService), nameof(FileService.BindServiceWithPooledWrites))]
internal sealed class FileGrpcService : FileService.FileServiceBase
{
    private const int MaxLoggedName = 1024;
    private const int DefaultDamagePage = 1000;
    private const int MaxDamagePage = 10_000;

    private readonly BlockStore _store;
    private readonly CapabilitySigner _signer;
    private readonly StagedObjects _staged;
    private readonly TimeSpan _delay;
    private readonly ClientActivity _activity;

    public FileGrpcService(BlockStore store, FileServerOptions options, CapabilitySigner signer, StagedObjects staged, ClientActivity activity)
    {
        _activity = activity;
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _signer = signer;
        _staged = staged;
        _delay = TimeSpan.FromMilliseconds(options.DelayMs);
    }

    public override Task<CapacityReply> Capacity(CapacityRequest request, ServerCallContext context)
    {
        // DriveInfo reads statvfs(2) of the file system the data directory is on.
        var drive = new DriveInfo(_store.DataDirectory);
        return Task.FromResult(new CapacityReply
        {
            TotalBytes = drive.TotalSize,
            FreeBytes = drive.TotalFreeSpace,
            AvailableBytes = drive.AvailableFreeSpace,
            Disk = _store.Disk,
        });
    }

    public override async Task<ReadBytesReply> ReadBytes(ReadBytesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var key = ToKey(request.Object);
        var access = Authorize(key, request.Capability, write: false);
        await DelayAsync(context.CancellationToken).ConfigureAwait(false);

        // Each reply entry costs a tag and a length prefix on top of its bytes, so a full batch cut
        // into many small ranges can outgrow the message limit. Refuse that before reading, not at send time.
        long replyBytes = 0;
        var ranges = new ObjectRange[request.Ranges.Count];
        for (var i = 0; i < ranges.Length; i++)
        {
            var range = request.Ranges[i];
            ranges[i] = new ObjectRange(range.Offset, range.Length);
            var length = Math.Max(range.Length, 0);
            replyBytes += 1 + CodedOutputStream.ComputeLengthSize(length) + length;
            if (request.ChecksumBlock > 0)
            {
                // Its sums (4 bytes a block) and, at worst, every block listed damaged (a varint offset each).
                replyBytes += (long)(length / request.ChecksumBlock + 1) * 15;
            }
        }

        if (request.ChecksumBlock > 0)
        {
            replyBytes += 2 * (1 + 5);
        }

        if (replyBytes > PfsServerHosting.MaxMessageBytes)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"the reply to {ranges.Length} ranges could reach {replyBytes} bytes, over the {PfsServerHosting.MaxMessageBytes}-byte message limit; merge adjacent ranges or split the read"));
        }

        using var busy = _activity.Enter();
        var result = await _staged.ReadAsync(key, access, ranges, request.ChecksumBlock, context.CancellationToken).ConfigureAwait(false);

        // The reply wraps the pooled buffer instead of copying it, so the buffer may only go back to the
        // pool once the response has been serialized and sent: that is when the request completes.
        context.GetHttpContext().Response.RegisterForDispose(result);

        var reply = new ReadBytesReply();
        foreach (var data in result.Data)
        {
            reply.Data.Add(data.IsEmpty ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(data));
        }

        if (result.Sums is { } sums)
        {
            reply.Sums.Add(sums);
            reply.Damaged.Add(result.Damaged);
        }

        return reply;
    }

    public override async Task<WriteBytesReply> WriteBytes(WriteBytesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var key = ToKey(request.Object);

        // The header's capability admitted the call (WriteAdmissionMiddleware); the message must carry the same.
        if (context.GetHttpContext().Items.TryGetValue(WriteAdmissionMiddleware.CapabilityItem, out var admitted)
            && !Equals(admitted, request.Capability))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the capability in the message is not the one in the header"));
        }

        var access = Authorize(key, request.Capability, write: true);
        await DelayAsync(context.CancellationToken).ConfigureAwait(false);

        // ByteString.Memory views the received message, so payloads are not copied on the way to disk.
        var segments = new ObjectSegment[request.Segments.Count];
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = request.Segments[i];
            segments[i] = new ObjectSegment(segment.Offset, segment.Data.Memory, request.ChecksumBlock > 0 ? segment.Sums : null);
        }

        var truncate = request.HasTruncate ? request.Truncate : (long?)null;
        using var busy = _activity.Enter();
        var written = await _staged.WriteAsync(key, access, segments, request.Sync, truncate, request.ChecksumBlock, context.CancellationToken).ConfigureAwait(false);
        return new WriteBytesReply { BytesWritten = written };
    }

    public override Task<ListDamageReply> ListDamage(ListDamageRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 0 or > MaxDamagePage)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit must be from 0 to {MaxDamagePage}, not {request.Limit}"));
        }

        var page = _store.Damage.List(request.AfterGeneration, request.AfterOffset, request.Limit == 0 ? DefaultDamagePage : request.Limit, out var more);
        var reply = new ListDamageReply { More = more };
        foreach (var block in page)
        {
            reply.Blocks.Add(new DamagedBlock { Generation = block.Generation, Offset = block.Offset, BlockSize = block.BlockSize, BlockIndex = block.BlockIndex });
        }

        return Task.FromResult(reply);
    }

    public override async Task<DeleteObjectReply> DeleteObject(DeleteObjectRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var key = ToKey(request.Object);
        var access = Authorize(key, request.Capability, write: true);
        await DelayAsync(context.CancellationToken).ConfigureAwait(false);

        return new DeleteObjectReply { Existed = await _staged.DeleteAsync(key, access, context.CancellationToken).ConfigureAwait(false) };
    }

    public override async Task<CommitObjectReply> CommitObject(CommitObjectRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var key = VerifyCommit(request.Object, request.Capability, "commit");
        return new CommitObjectReply { Applied = await _staged.CommitAsync(key, request.Capability.Epoch, context.CancellationToken).ConfigureAwait(false) };
    }

    public override async Task<AbortObjectReply> AbortObject(AbortObjectRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var key = VerifyCommit(request.Object, request.Capability, "drop");
        return new AbortObjectReply { Dropped = await _staged.AbortAsync(key, request.Capability.Epoch, context.CancellationToken).ConfigureAwait(false) };
    }

    // The object id is checked first (generation 0 is InvalidArgument whoever asks), then that the
    // caller holds a lock on exactly this generation, in the mode the call needs. The name plays no
    // part: a rename changes the file's path, not its generation or its capabilities' worth.
    private ObjectAccess Authorize(ObjectKey key, Capability? capability, bool write)
    {
        Verify(key, capability);
        if (capability!.Commit)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "a commit capability allows no reads or writes"));
        }

        if (write && !capability.Write)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "a read capability does not allow writes"));
        }

        return new ObjectAccess(capability.Epoch, capability.Write, capability.Committed);
    }

    // Commit and abort: only the metadata server's commit capability may apply or drop what a writer staged.
    private ObjectKey VerifyCommit(ObjectId id, Capability? capability, string action)
    {
        var key = ToKey(id);
        Verify(key, capability);
        if (!capability!.Commit)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"only the metadata server's commit capability may {action} staged writes"));
        }

        return key;
    }

    private void Verify(ObjectKey key, Capability? capability)
    {
        _store.Validate(key);

        if (!_signer.Verify(capability))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the call carries no valid capability for this file"));
        }

        if (capability!.Generation != key.Generation)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "the capability is for another file"));
        }
    }

    private Task DelayAsync(CancellationToken cancellationToken) =>
        _delay > TimeSpan.Zero ? Task.Delay(_delay, cancellationToken) : Task.CompletedTask;

    // The name is for logs only, so a long one is cut short rather than refused.
    private static ObjectKey ToKey(ObjectId? id) =>
        id is null
            ? throw new RpcException(new Status(StatusCode.InvalidArgument, "the request names no object"))
            : new ObjectKey(id.Name.Length <= MaxLoggedName ? id.Name : id.Name[..MaxLoggedName], id.Generation);
}
