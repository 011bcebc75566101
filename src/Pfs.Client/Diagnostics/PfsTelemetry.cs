using System.Diagnostics;

namespace Pfs.Client.Diagnostics;

/// <summary>
/// The client's traces: a span per user operation (open, read, write, close, ...) with a child
/// span per file-server call, tagged with the server and block range, so a trace viewer shows
/// the calls to different servers side by side.
/// </summary>
public static class PfsTelemetry
{
    /// <summary>Name of the client's <see cref="ActivitySource"/> (and of its meter, see <see cref="PfsMetrics"/>).</summary>
    public const string SourceName = "Pfs.Client";

    internal static readonly ActivitySource Source = new(SourceName, typeof(PfsTelemetry).Assembly.GetName().Version?.ToString());
}
