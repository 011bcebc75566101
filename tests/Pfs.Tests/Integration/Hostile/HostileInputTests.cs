using System.Net.Sockets;
using CsCheck;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Hostile;

/// <summary>
/// Both servers called directly with malformed and extreme requests (CsCheck generates them):
/// every answer is a precise status, never Internal or Unknown, and comes well within the call's
/// deadline (a call that runs out of it hung, which is no answer); the servers keep serving; and
/// nothing is written outside the data directory.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private static readonly StatusCode[] Precise =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.OutOfRange, StatusCode.NotFound, StatusCode.AlreadyExists,
        StatusCode.PermissionDenied, StatusCode.FailedPrecondition, StatusCode.ResourceExhausted,
    ];

    // Generous for one small call on a busy machine, so only a hang runs out of it.
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(10);

    private PfsCluster _cluster = null!;
    private GrpcChannel _fileChannel = null!;
    private GrpcChannel _metaChannel = null!;
    private CapabilitySigner _signer = null!;

    // The first call that ran out of its deadline. CsCheck goes on sampling after a failure (to
    // find a smaller one); the samples after a hang stop at once instead of each waiting it out.
    private string? _hang;

    public async Task InitializeAsync()
    {
        _cluster = await PfsCluster.StartAsync(fileServers: 2);
        var options = new GrpcChannelOptions { MaxSendMessageSize = 128 * 1024 * 1024, MaxReceiveMessageSize = 128 * 1024 * 1024 };
        _fileChannel = GrpcChannel.ForAddress(_cluster.FileServerAddresses[0], options);
        _metaChannel = GrpcChannel.ForAddress(_cluster.MetaServerAddress, options);
        _signer = new CapabilitySigner(Convert.FromBase64String(_cluster.ClusterKey));
    }

    public async Task DisposeAsync()
    {
        _fileChannel.Dispose();
        _metaChannel.Dispose();
        await _cluster.DisposeAsync();
    }

    private static Gen<string> Names => Gen.OneOf(
        Gen.String[Gen.Char["./\\\0ab"], 0, 8],
        Gen.String[0, 300],
        Gen.Const(new string('n', 10_000)),
        Gen.OneOf(Gen.Const(".."), Gen.Const("../../etc/passwd"), Gen.Const("/abs"), Gen.Const("a\0b"), Gen.Const("ok-name")));

    // Paths: separators, dots and bad characters in every arrangement, and the lengths around the limits.
    private static Gen<string> Paths => Gen.OneOf(
        Names,
        Gen.String[Gen.Char["/.ab\\\0"], 0, 12],
        Gen.Int[1, 40].Select(n => string.Join('/', Enumerable.Repeat(new string('p', 120), n))),
        Gen.OneOf(Gen.Const("/"), Gen.Const("a//b"), Gen.Const("ok-dir/"), Gen.Const("ok-dir/child"), Gen.Const("ok-dir/../x")));

    private static Gen<ulong> Bases => Gen.OneOf(Gen.Const(0UL), Gen.Const(1UL), Gen.ULong[0, 4], Gen.ULong);

    private static Gen<long> Offsets => Gen.OneOf(
        Gen.Long[-4, 4],
        Gen.Long[long.MinValue, long.MaxValue],
        Gen.OneOf(Gen.Const(PfsLimits.MaxObjectBytes - 1), Gen.Const(PfsLimits.MaxObjectBytes), Gen.Const(long.MaxValue)));

    private static Gen<int> Lengths => Gen.OneOf(
        Gen.Int[-4, 4096],
        Gen.Int[int.MinValue, int.MaxValue],
        Gen.OneOf(Gen.Const(int.MaxValue), Gen.Const(1 << 30), Gen.Const(PfsLimits.MaxReadBytesPerCall + 1)));

    [Fact]
    public async Task FileServerAnswersHostileRequestsPreciselyAndWritesOnlyUnderItsDataDirectory()
    {
        var files = new FileService.FileServiceClient(_fileChannel.WithCapabilityHeader());
        var gen = Gen.Select(Names, Gen.ULong[0, 3], Gen.Select(Offsets, Lengths).Array[0, 6], Gen.Int[0, 3], Gen.Select(Gen.Bool, Offsets));

        await gen.SampleAsync(async (name, generation, ranges, capabilityKind, truncate) =>
        {
            if (_hang is not null)
            {
                return;
            }

            var id = new ObjectId { Name = name, Generation = generation };
            var capability = capabilityKind switch
            {
                0 => null,
                1 => _signer.Sign(name, generation, write: false, 0, "fuzz"),
                2 => _signer.Sign(name, generation, write: true, 1, "fuzz"),
                _ => new CapabilitySigner(new byte[32]).Sign(name, generation, write: true, 1, "forger"),
            };
            var read = new ReadBytesRequest { Object = id, Capability = capability };
            var write = new WriteBytesRequest { Object = id, Capability = capability };
            if (truncate.Item1)
            {
                write.Truncate = truncate.Item2;
            }

            foreach (var (offset, length) in ranges)
            {
                read.Ranges.Add(new ByteRange { Offset = offset, Length = length });
                write.Segments.Add(new WriteSegment { Offset = offset, Data = ByteString.CopyFrom(new byte[Math.Clamp(length, 0, 64)]) });
            }

            await ExpectPrecise(() => files.ReadBytesAsync(read, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => files.WriteBytesAsync(write, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => files.DeleteObjectAsync(new DeleteObjectRequest { Object = id, Capability = capability }, deadline: Soon()).ResponseAsync);
        }, iter: 300, threads: 1);

        AssertNothingOutsideObjects();
        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task MetadataServerAnswersHostileRequestsPrecisely()
    {
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        var gen = Gen.Select(Names, Gen.Int[-3, 5], Gen.Int[int.MinValue, int.MaxValue], Gen.Select(Gen.String[0, 40], Gen.Int[-1, 3], Gen.ULong),
            Gen.Select(Offsets, Offsets).Array[0, 4]);

        await gen.SampleAsync(async (name, width, blockSize, open, dirty) =>
        {
            if (_hang is not null)
            {
                return;
            }

            var (clientId, mode, handle) = open;
            await ExpectPrecise(() => meta.CreateAsync(new CreateRequest { Name = name, StripeWidth = width, BlockSize = blockSize }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.StatAsync(new StatRequest { Name = name }, deadline: Soon()).ResponseAsync);
            var opened = await ExpectPrecise(() => meta.OpenAsync(
                new OpenRequest { ClientId = clientId, OpenId = handle, Name = name, Mode = (LockMode)mode }, deadline: Soon()).ResponseAsync);
            var close = new CloseRequest { ClientId = clientId, Handle = opened?.Handle ?? handle, Size = dirty.Length > 0 ? dirty[0].Item1 : 0 };
            foreach (var (start, count) in dirty)
            {
                close.Dirty.Add(new Protocol.Meta.BlockRange { Start = start, Count = count });
            }

            await ExpectPrecise(() => meta.CloseAsync(close, deadline: Soon()).ResponseAsync);
            if (opened is not null)
            {
                // A refused close keeps the open for a retry; give it back so nothing stays locked.
                await ExpectPrecise(() => meta.ReleaseAsync(new ReleaseRequest { ClientId = clientId, OpenId = handle }, deadline: Soon()).ResponseAsync);
            }

            await ExpectPrecise(() => meta.DeleteAsync(new DeleteRequest { ClientId = clientId, OpenId = handle + 1, Name = name }, deadline: Soon()).ResponseAsync);
        }, iter: 300, threads: 1);

        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task MetadataServerAnswersHostileNamespaceRequestsPrecisely()
    {
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = "ok-dir" });
        var gen = Gen.Select(Paths, Paths, Bases, Bases, Gen.OneOf(Gen.String[0, 20], Gen.Const(new string('t', 5000)), Gen.Const("a\0b")),
            Gen.Int[int.MinValue, int.MaxValue], Gen.Bool);

        await gen.SampleAsync(async (path, other, @base, otherBase, text, number, flag) =>
        {
            if (_hang is not null)
            {
                return;
            }

            await ExpectPrecise(() => meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = path, Base = @base, Mode = (uint)number }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.CreateAsync(new CreateRequest { Name = other, Base = otherBase, StripeWidth = number & 3, ParityBlocks = number >> 29 }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.ListDirectoryAsync(new ListDirectoryRequest { Path = path, Base = @base, After = text, Limit = number }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.StatAsync(new StatRequest { Name = path, Base = @base }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.SymlinkAsync(new SymlinkRequest { Path = other, Base = otherBase, Target = text }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.LinkAsync(new LinkRequest { Existing = path, ExistingBase = @base, Path = other, Base = otherBase }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.RenameAsync(new RenameRequest { From = path, FromBase = @base, To = other, ToBase = otherBase, NoReplace = flag }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.SetAttributesAsync(new SetAttributesRequest
            {
                Path = other, Base = otherBase, Mode = (uint)number, AccessedUnixMs = (long)number * 1_000_000_000_000, ModifiedNow = flag,
            }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.UnlinkAsync(new UnlinkRequest { Path = other, Base = otherBase }, deadline: Soon()).ResponseAsync);
            await ExpectPrecise(() => meta.RemoveDirectoryAsync(new RemoveDirectoryRequest { Path = path, Base = @base }, deadline: Soon()).ResponseAsync);
        }, iter: 300, threads: 1);

        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task MetadataServerAnswersHostileLockRequestsPrecisely()
    {
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        var target = (await meta.CreateAsync(new CreateRequest { Name = "lock-target", StripeWidth = 1 })).File.FileId;
        var directory = (await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = "lock-dir" })).Node.FileId;
        var gen = Gen.Select(Gen.OneOf(Gen.Const(string.Empty), Gen.String[1, 10], Gen.Const(new string('c', 2000))),
            Gen.OneOf(Gen.Const(target), Gen.Const(directory), Bases), Gen.ULong, Gen.Int[-1, 3],
            Gen.Select(Gen.OneOf(Gen.ULong, Gen.ULong[0, 100]), Gen.OneOf(Gen.ULong, Gen.ULong[0, 100], Gen.Const(ulong.MaxValue))), Gen.Int[0, 3]);

        await gen.SampleAsync(async (clientId, fileId, owner, type, range, flags) =>
        {
            if (_hang is not null)
            {
                return;
            }

            // Never a wait: a granted lock of one sample may stand in the way of the next.
            await ExpectPrecise(() => meta.LockAsync(new LockRequest
            {
                ClientId = clientId, FileId = fileId, Owner = owner, Type = (RangeLockType)type, Start = range.Item1, End = range.Item2,
                Test = (flags & 1) != 0, Flock = (flags & 2) != 0, Pid = (uint)owner,
            }, deadline: Soon()).ResponseAsync);
        }, iter: 300, threads: 1);

        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task TheNamespaceStreamAnswersHostileRequestsPreciselyAndStaysOpen()
    {
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = "ok-dir" });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var pipe = meta.Pipe(cancellationToken: cancel.Token);
        var gen = Gen.Select(Paths, Paths, Bases, Bases, Gen.OneOf(Gen.String[0, 20], Gen.Const(new string('t', 5000)), Gen.Const("a\0b")),
            Gen.Int[int.MinValue, int.MaxValue], Gen.Bool);
        ulong id = 0;

        await gen.SampleAsync(async (path, other, @base, otherBase, text, number, flag) =>
        {
            // The same hostile requests as the unary test's, all in flight at once on one stream (and one naming no call).
            PipeRequest[] requests =
            [
                new() { MakeDirectory = new MakeDirectoryRequest { Path = path, Base = @base, Mode = (uint)number } },
                new() { Create = new CreateRequest { Name = other, Base = otherBase, StripeWidth = number & 3, ParityBlocks = number >> 29 } },
                new() { Stat = new StatRequest { Name = path, Base = @base } },
                new() { Symlink = new SymlinkRequest { Path = other, Base = otherBase, Target = text } },
                new() { Link = new LinkRequest { Existing = path, ExistingBase = @base, Path = other, Base = otherBase } },
                new() { Rename = new RenameRequest { From = path, FromBase = @base, To = other, ToBase = otherBase, NoReplace = flag } },
                new() { SetAttributes = new SetAttributesRequest { Path = other, Base = otherBase, Mode = (uint)number, AccessedUnixMs = (long)number * 1_000_000_000_000 } },
                new() { Unlink = new UnlinkRequest { Path = other, Base = otherBase } },
                new() { RemoveDirectory = new RemoveDirectoryRequest { Path = path, Base = @base } },
                new(),
            ];
            var sent = new HashSet<ulong>();
            foreach (var request in requests)
            {
                request.Id = ++id;
                sent.Add(request.Id);
                await pipe.RequestStream.WriteAsync(request);
            }

            using var batch = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
            batch.CancelAfter(CallDeadline);
            while (sent.Count > 0)
            {
                Assert.True(await pipe.ResponseStream.MoveNext(batch.Token), "the stream ended under hostile requests");
                var reply = pipe.ResponseStream.Current;
                Assert.True(sent.Remove(reply.Id), $"reply {reply.Id} answers no request in flight");
                if (reply.ResultCase == PipeReply.ResultOneofCase.Error)
                {
                    Assert.True(Precise.Contains((StatusCode)reply.Error.Code), $"got {(StatusCode)reply.Error.Code} ({reply.Error.Detail}): a server must answer bad input precisely");
                }
            }
        }, iter: 200, threads: 1);

        await pipe.RequestStream.CompleteAsync();
        Assert.False(await pipe.ResponseStream.MoveNext(cancel.Token));
        Assert.Equal(StatusCode.OK, pipe.GetStatus().StatusCode);
        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task OversizedMessagesAreRefusedAndTheServerKeepsServing()
    {
        var files = new FileService.FileServiceClient(_fileChannel.WithCapabilityHeader());
        var id = new ObjectId { Name = "huge", Generation = 1 };
        var write = new WriteBytesRequest
        {
            Object = id,
            Capability = _signer.Sign("huge", 1, write: true, 1, "fuzz"),
            Segments = { new WriteSegment { Data = UnsafeByteOperations.UnsafeWrap(new byte[80 * 1024 * 1024]) } },
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => files.WriteBytesAsync(write).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await AssertClusterStillServesAsync();
    }

    [Fact]
    public async Task GarbageBytesOnThePortsDoNotHurtOtherCallers()
    {
        var random = new Random(5);
        foreach (var address in new[] { _cluster.MetaServerAddress, _cluster.FileServerAddresses[0] })
        {
            foreach (var prefix in new[] { Array.Empty<byte>(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray() })
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(address.Host, address.Port);
                var garbage = new byte[64 * 1024];
                random.NextBytes(garbage);
                var stream = socket.GetStream();
                try
                {
                    await stream.WriteAsync(prefix.Concat(garbage).ToArray());
                    await stream.FlushAsync();
                }
                catch (IOException)
                {
                    // The server may hang up mid-way: that is the right reaction.
                }
            }
        }

        await AssertClusterStillServesAsync();
    }

    private static DateTime Soon() => DateTime.UtcNow.Add(CallDeadline);

    private async Task<T?> ExpectPrecise<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Cancelled)
        {
            _hang ??= $"{ex.StatusCode} ({ex.Status.Detail})";
            Assert.Fail($"no answer within {CallDeadline.TotalSeconds:0} s ({ex.StatusCode}): a server must answer bad input, not hang");
            return null;
        }
        catch (RpcException ex)
        {
            Assert.True(Precise.Contains(ex.StatusCode), $"got {ex.StatusCode} ({ex.Status.Detail}): a server must answer bad input precisely");
            return null;
        }
    }

    private void AssertNothingOutsideObjects()
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(_cluster.DataRoot, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(_cluster.DataRoot, path);
            Assert.True(
                relative.Split(Path.DirectorySeparatorChar) is [_] or [_, "stripes", ..] or [_, "deleted-generations"],
                $"'{relative}' is outside a data directory's stripes and tombstones");
        }

        var parent = Directory.GetParent(_cluster.DataRoot)!.FullName;
        Assert.False(File.Exists(Path.Combine(parent, "etc", "passwd")));
    }

    private async Task AssertClusterStillServesAsync()
    {
        await using var client = await _cluster.ConnectAsync();
        var name = $"alive-{Guid.NewGuid():N}";
        await client.CreateAsync(name, 2);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync("still here"u8.ToArray(), 0);
        }

        await using var reader = await client.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal("still here"u8.ToArray(), await TestData.ReadAllAsync(reader, 10));
    }
}
