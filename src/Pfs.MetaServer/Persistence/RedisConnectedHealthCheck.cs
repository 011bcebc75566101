using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>Healthy while the Redis connection is up: the metadata server cannot change anything without it.</summary>
internal sealed class RedisConnectedHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(redis.IsConnected
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("not connected to the Redis metadata store"));
}
