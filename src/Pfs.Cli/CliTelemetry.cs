using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pfs.Client.Diagnostics;

namespace Pfs.Cli;

/// <summary>
/// Traces and metrics of a long-running command (<c>pfs repair --every</c>) exported over OTLP, only when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (as Aspire sets it for its resources, or by hand): the client's
/// spans (pfs.repair.pass, pfs.repair.file, the file-server calls) and its meter (pfs.client.repair.*).
/// </summary>
internal sealed class CliTelemetry : IDisposable
{
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;

    private CliTelemetry(string service)
    {
        var name = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? service;
        _tracing = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(name))
            .AddSource(PfsTelemetry.SourceName)
            .AddGrpcClientInstrumentation()
            .AddOtlpExporter()
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(name))
            .AddMeter(PfsMetrics.MeterName)
            .AddOtlpExporter()
            .Build();
    }

    /// <summary>Starts the export, or returns null when no OTLP endpoint is configured.</summary>
    public static CliTelemetry? Start(string service) =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")) ? null : new CliTelemetry(service);

    public void Dispose()
    {
        _tracing.Dispose();
        _metrics.Dispose();
    }
}
