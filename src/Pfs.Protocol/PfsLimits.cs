namespace Pfs.Protocol;

/// <summary>Size limits both sides enforce, so a client refuses up front what a server would refuse at flush time.</summary>
public static class PfsLimits
{
    /// <summary>Largest stripe object on one file server: 1 TiB (below ext4's 16 TiB file limit).</summary>
    public const long MaxObjectBytes = 1L << 40;

    /// <summary>Most bytes one ReadBytes request may ask for, summed over its ranges: one block of the largest size.</summary>
    public const int MaxReadBytesPerCall = 64 * 1024 * 1024;

    /// <summary>Largest gRPC message either side sends or accepts: one block of the largest size plus framing.</summary>
    public const int MaxMessageBytes = (64 * 1024 * 1024) + (64 * 1024);
}
