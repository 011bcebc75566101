using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pfs.FileServer.Diagnostics;

/// <summary>The file server's own traces and metrics (ServiceDefaults exports both by this name).</summary>
internal static class FileServerTelemetry
{
    public const string Name = "Pfs.FileServer";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Bytes the scrub has read and checked.</summary>
    public static readonly Counter<long> ScrubbedBytes = Meter.CreateCounter<long>("pfs.fileserver.scrub.bytes", "By", "Bytes the scrub read and checked against their sums");

    /// <summary>Damaged blocks found, by a client's read or by the scrub.</summary>
    public static readonly Counter<long> DamagedBlocks = Meter.CreateCounter<long>("pfs.fileserver.damaged_blocks", "{block}", "Blocks found not to match their sums (by reads and by the scrub)");

    /// <summary>Scrub passes finished.</summary>
    public static readonly Counter<long> ScrubPasses = Meter.CreateCounter<long>("pfs.fileserver.scrub.passes", "{pass}", "Scrub passes over every committed object");
}
