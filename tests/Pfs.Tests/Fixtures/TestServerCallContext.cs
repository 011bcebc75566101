using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// A <see cref="ServerCallContext"/> for calling a gRPC service method directly; cancel the call
/// through the token. It carries an HttpContext under the key grpc-dotnet uses, so
/// <c>GetHttpContext()</c> works as it does when hosted.
/// </summary>
internal sealed class TestServerCallContext : ServerCallContext
{
    private readonly Dictionary<object, object> _userState;

    public TestServerCallContext(CancellationToken cancellationToken = default, Metadata? requestHeaders = null)
    {
        CancellationTokenCore = cancellationToken;
        RequestHeadersCore = requestHeaders ?? [];
        HttpContext = new DefaultHttpContext();
        _userState = new Dictionary<object, object> { ["__HttpContext"] = HttpContext };
    }

    public HttpContext HttpContext { get; }

    protected override string MethodCore => "/pfs.test/Test";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:1";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; }

    protected override CancellationToken CancellationTokenCore { get; }

    protected override Metadata ResponseTrailersCore { get; } = [];

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override IDictionary<object, object> UserStateCore => _userState;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException();

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
