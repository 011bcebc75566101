using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pfs.Protocol.Transport;

namespace Pfs.AppHost.HealthChecks;

/// <summary>
/// Asks a Pfs server's standard grpc.health.v1 service whether it is SERVING. The servers' endpoints
/// speak HTTP/2 only (cleartext, or TLS checked against <paramref name="tlsCaFile"/> when the AppHost
/// runs secure), where an HTTP/1.1 probe (<c>WithHttpHealthCheck</c>) gets no answer; and SERVING is
/// what a client needs (the metadata server reports it only once its registry is loaded).
/// </summary>
internal sealed class GrpcHealthCheck(EndpointReference endpoint, string? tlsCaFile) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private GrpcChannel? _channel;
    private string? _channelUrl;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy("the endpoint is not allocated yet");
        }

        try
        {
            var client = new Health.HealthClient(Channel(endpoint.Url));
            var reply = await client.CheckAsync(new HealthCheckRequest { Service = string.Empty },
                deadline: DateTime.UtcNow + Timeout, cancellationToken: cancellationToken);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"grpc.health.v1 says {reply.Status}");
        }
        catch (RpcException ex)
        {
            return HealthCheckResult.Unhealthy($"grpc.health.v1 check failed: {ex.Status.StatusCode} {ex.Status.Detail}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _channel?.Dispose();
            _channel = null;
        }
    }

    private GrpcChannel Channel(string url)
    {
        lock (_gate)
        {
            if (_channel is null || _channelUrl != url)
            {
                _channel?.Dispose();
                _channel = PfsChannel.Create(new Uri(url), new PfsChannelOptions { ConnectTimeout = Timeout, TlsCaFile = tlsCaFile });
                _channelUrl = url;
            }

            return _channel;
        }
    }
}
