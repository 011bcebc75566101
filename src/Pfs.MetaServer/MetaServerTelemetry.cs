using System.Diagnostics;

namespace Pfs.MetaServer;

/// <summary>Tracing of lock waits and invalidation fan-out; exporters are wired by the host.</summary>
public static class MetaServerTelemetry
{
    /// <summary>Name of the <see cref="ActivitySource"/> to subscribe to.</summary>
    public const string ActivitySourceName = "Pfs.MetaServer";

    internal static readonly ActivitySource Source = new(ActivitySourceName);
}
