using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class MetaErrorInterceptorTests
{
    [Theory]
    [InlineData(MetaErrorCode.InvalidArgument, StatusCode.InvalidArgument)]
    [InlineData(MetaErrorCode.NotFound, StatusCode.NotFound)]
    [InlineData(MetaErrorCode.AlreadyExists, StatusCode.AlreadyExists)]
    [InlineData(MetaErrorCode.NotOwner, StatusCode.PermissionDenied)]
    [InlineData(MetaErrorCode.LeaseExpired, StatusCode.FailedPrecondition)]
    [InlineData(MetaErrorCode.Closing, StatusCode.FailedPrecondition)]
    [InlineData(MetaErrorCode.Cancelled, StatusCode.Cancelled)]
    [InlineData(MetaErrorCode.Unavailable, StatusCode.Unavailable)]
    [InlineData(MetaErrorCode.Internal, StatusCode.Internal)]
    public async Task ADomainErrorReachesTheCallerAsItsStatusWithItsMessage(MetaErrorCode code, StatusCode expected)
    {
        var interceptor = new MetaErrorInterceptor();

        var ex = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new TestServerCallContext(), (_, _) => throw new MetaException(code, "why it failed")));

        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal("why it failed", ex.Status.Detail);
    }

    [Fact]
    public void EveryDomainErrorHasAStatusOfItsOwn()
    {
        // A code added without a mapping would fall through to Internal.
        Assert.All(Enum.GetValues<MetaErrorCode>().Where(code => code != MetaErrorCode.Internal),
            code => Assert.NotEqual(StatusCode.Internal, MetaErrorInterceptor.ToStatusCode(code)));
    }

    [Fact]
    public async Task AStreamingCallIsMappedToo()
    {
        var interceptor = new MetaErrorInterceptor();

        var ex = await Assert.ThrowsAsync<RpcException>(() => interceptor.ServerStreamingServerHandler<string, string>(
            "request", new ChannelServerStreamWriter<string>(), new TestServerCallContext(), (_, _, _) => throw MetaException.NotFound("f")));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task ACallItsCallerCancelledEndsCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var interceptor = new MetaErrorInterceptor();

        var ex = await Assert.ThrowsAsync<RpcException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new TestServerCallContext(cancelled.Token), (_, context) => Task.FromCanceled<string>(context.CancellationToken)));

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task OtherExceptionsAreLeftToGrpc()
    {
        var interceptor = new MetaErrorInterceptor();

        await Assert.ThrowsAsync<InvalidOperationException>(() => interceptor.UnaryServerHandler<string, string>(
            "request", new TestServerCallContext(), (_, _) => throw new InvalidOperationException("a bug")));
    }
}
