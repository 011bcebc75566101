using Grpc.Core;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>A ServerCallContext for calling a gRPC service method directly; cancel the call through the token.</summary>
internal sealed class TestServerCallContext(CancellationToken cancellationToken = default) : ServerCallContext
{
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];
    private readonly AuthContext _authContext = new(null, []);

    protected override string MethodCore => "/pfs.meta.v1.MetaService/Test";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:12345";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => _requestHeaders;

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => _authContext;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
