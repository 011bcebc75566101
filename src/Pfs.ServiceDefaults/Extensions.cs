using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Pfs.ServiceDefaults;

/// <summary>
/// What every Pfs process run by Aspire shares: OpenTelemetry (logs, metrics, traces) exported over
/// OTLP to the dashboard, health endpoints, and service discovery.
/// </summary>
public static class Extensions
{
    /// <summary>The setting Aspire passes to every resource; without it nothing is collected or exported.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The Pfs activity sources and meters (client library, metadata server).</summary>
    public static readonly string[] PfsTelemetryNames = ["Pfs.Client", "Pfs.MetaServer", "Pfs.FileServer"];

    private const string HealthPath = "/health";
    private const string AlivePath = "/alive";

    /// <summary>
    /// OpenTelemetry, health checks and service discovery. No resilience handler and no timeout
    /// is added to HttpClients: the client's Subscribe stream lives as long as the client, and
    /// the client library bounds its own calls.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddServiceDiscovery());
        return builder;
    }

    /// <summary>
    /// Logs, metrics and traces over OTLP, only when an endpoint is configured (as Aspire does): an
    /// in-process cluster in a test or the demo then pays nothing for instrumentation.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(PfsTelemetryNames))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(PfsTelemetryNames)
                .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = context => !IsHealthRequest(context.Request.Path))
                // One span per gRPC call; the HTTP/2 request under it would only repeat it.
                .AddGrpcClientInstrumentation(grpc => grpc.SuppressDownstreamInstrumentation = true)
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>
    /// <c>/health</c> (every check) and <c>/alive</c> (liveness only). The servers' endpoints speak
    /// HTTP/2 only, so these answer HTTP/2 requests; Aspire checks the servers through
    /// grpc.health.v1, which reports the same checks.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        return app;
    }

    private static bool IsHealthRequest(PathString path) =>
        path.StartsWithSegments(HealthPath)
        || path.StartsWithSegments(AlivePath)
        || path.StartsWithSegments("/grpc.health.v1.Health");
}
