namespace Pfs.Client;

/// <summary>What the registry knows about a file.</summary>
/// <param name="Name">The file's name.</param>
/// <param name="Size">Highest byte offset ever written + 1.</param>
/// <param name="Created">Creation time, UTC, millisecond precision.</param>
/// <param name="Modified">Time of the last writer's close, UTC, millisecond precision.</param>
/// <param name="StripeWidth">Number of file servers the file is striped over.</param>
/// <param name="BlockSize">Bytes per block (the stripe unit).</param>
public sealed record PfsFileInfo(string Name, long Size, DateTimeOffset Created, DateTimeOffset Modified,
                                 int StripeWidth, int BlockSize);
