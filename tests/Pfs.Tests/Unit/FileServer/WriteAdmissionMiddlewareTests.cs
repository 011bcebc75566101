using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Pfs.FileServer;
using Pfs.FileServer.Services;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// WriteBytes calls are admitted on their header's capability and their message's length, before
// anything of the message is read.
public sealed class WriteAdmissionMiddlewareTests
{
    private static readonly ObjectId Id = new() { Name = "admitted", Generation = 0x71 };
    private readonly WriteBudget _budget = new(PfsLimits.MaxMessageBytes + 1024);

    public static TheoryData<string, string?> Refused => new()
    {
        { "no header", null },
        { "not base64", "@@@" },
        { "not a capability", Convert.ToBase64String([0xFF, 0xFF, 0xFF]) },
        { "forged", Header(new CapabilitySigner(new byte[32]).Sign("admitted", 0x71, write: true, 1, "mallory")) },
        { "read only", Header(TestCaps.Signer.Sign("admitted", 0x71, write: false, 1, "tests")) },
        { "commit", Header(TestCaps.Commit(Id)) },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task AWriteWithoutAValidWriteCapabilityInItsHeaderIsRefusedUnread(string why, string? header)
    {
        // Arrange
        var body = new CountingStream(Frame(64 * 1024));
        var context = Context(body, header);
        var called = false;

        // Act
        await Middleware(_ => { called = true; return Task.CompletedTask; }).InvokeAsync(context).WaitAsync(TestTimeout);

        // Assert
        Assert.False(called, why);
        Assert.Equal(0, body.BytesRead);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("application/grpc", context.Response.ContentType);
        Assert.Equal("7", context.Response.Headers["grpc-status"]);
    }

    [Fact]
    public async Task AnAdmittedWriteHoldsItsLengthOfTheBudgetWhileItRunsAndTheServiceReadsTheWholeBody()
    {
        // Arrange: the header unpadded, as gRPC allows
        var frame = Frame(1000);
        var context = Context(new MemoryStream(frame), Header(TestCaps.Write(Id)).TrimEnd('='));
        long heldWhileRunning = 0;
        byte[]? seenByService = null;

        // Act
        await Middleware(async inner =>
        {
            heldWhileRunning = _budget.InUse;
            var read = await inner.Request.BodyReader.ReadAtLeastAsync(frame.Length);
            seenByService = read.Buffer.ToArray();
            inner.Request.BodyReader.AdvanceTo(read.Buffer.End);
        }).InvokeAsync(context).WaitAsync(TestTimeout);

        // Assert
        Assert.Equal(1005, heldWhileRunning);
        Assert.Equal(frame, seenByService);
        Assert.Equal(0, _budget.InUse);
        Assert.Equal(TestCaps.Write(Id).Generation, ((Capability)context.Items[WriteAdmissionMiddleware.CapabilityItem]!).Generation);
    }

    [Fact]
    public async Task AWriteThatFindsNoRoomInTheBudgetWithinItsWaitIsUnavailableSoThatItIsRetried()
    {
        // Arrange: the budget is taken
        Assert.True(await _budget.TryReserveAsync(_budget.Capacity, TestTimeout, CancellationToken.None));
        var context = Context(new MemoryStream(Frame(10)), Header(TestCaps.Write(Id)));
        var called = false;

        // Act
        await Middleware(_ => { called = true; return Task.CompletedTask; }, wait: TimeSpan.FromMilliseconds(20)).InvokeAsync(context).WaitAsync(TestTimeout);

        // Assert
        Assert.False(called);
        Assert.Equal("14", context.Response.Headers["grpc-status"]);
        Assert.Equal(_budget.Capacity, _budget.InUse);
    }

    [Fact]
    public async Task AMessageOverTheLimitIsRefusedBeforeItIsRead()
    {
        // Arrange: a prefix declaring 80 MiB
        var prefix = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), 80 * 1024 * 1024);
        var context = Context(new MemoryStream(prefix), Header(TestCaps.Write(Id)));

        // Act
        await Middleware(_ => throw new InvalidOperationException("not admitted")).InvokeAsync(context).WaitAsync(TestTimeout);

        // Assert
        Assert.Equal("8", context.Response.Headers["grpc-status"]);
        Assert.Equal(0, _budget.InUse);
    }

    [Fact]
    public async Task OtherCallsPassThroughUntouched()
    {
        // Arrange
        var context = Context(new MemoryStream(Frame(10)), header: null);
        context.Request.Path = "/pfs.fileserver.v1.FileService/ReadBytes";
        var called = false;

        // Act
        await Middleware(_ => { called = true; return Task.CompletedTask; }).InvokeAsync(context).WaitAsync(TestTimeout);

        // Assert
        Assert.True(called);
        Assert.False(context.Response.Headers.ContainsKey("grpc-status"));
    }

    private WriteAdmissionMiddleware Middleware(RequestDelegate next, TimeSpan? wait = null) =>
        new(next, TestCaps.Signer, _budget, new FileServerLimits { WriteBudgetWait = wait ?? TestTimeout });

    private static DefaultHttpContext Context(Stream body, string? header)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = WriteAdmissionMiddleware.WriteBytesPath;
        context.Request.Body = body;
        if (header is not null)
        {
            context.Request.Headers[CapabilityHeader.Name] = header;
        }

        return context;
    }

    private static string Header(Capability capability) => Convert.ToBase64String(capability.ToByteArray());

    // A gRPC frame: flag, big-endian length, then a message of that many bytes.
    private static byte[] Frame(int length)
    {
        var frame = new byte[5 + length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
        Pattern(length, 3).CopyTo(frame, 5);
        return frame;
    }

    private sealed class CountingStream(byte[] bytes) : MemoryStream(bytes)
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            return read;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            var read = await base.ReadAsync(buffer.AsMemory(offset, count), cancellationToken);
            BytesRead += read;
            return read;
        }
    }
}
