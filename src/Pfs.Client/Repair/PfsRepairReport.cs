namespace Pfs.Client;

/// <summary>How a repair is getting on (see <see cref="PfsClient.RepairAsync"/>).</summary>
/// <param name="FilesRepaired">Files returned to full redundancy so far.</param>
/// <param name="FilesFailed">Files whose repair failed so far.</param>
/// <param name="BytesRebuilt">Shard bytes rebuilt and written so far.</param>
/// <param name="CurrentFile">The file being repaired now (null between files).</param>
public sealed record PfsRepairProgress(int FilesRepaired, int FilesFailed, long BytesRebuilt, string? CurrentFile);

/// <summary>A file a repair could not return to full redundancy, and why.</summary>
/// <param name="Name">One of its paths ("" for a file unlinked while open).</param>
/// <param name="Inode">Its inode number.</param>
/// <param name="Reason">What went wrong (e.g. more than M of its servers lost or out of reach).</param>
public sealed record PfsRepairFailure(string Name, ulong Inode, string Reason);

/// <summary>What one repair pass did.</summary>
/// <param name="FilesRepaired">Files returned to full redundancy.</param>
/// <param name="BytesRebuilt">Shard bytes rebuilt and written.</param>
/// <param name="Failures">Files it could not repair.</param>
public sealed record PfsRepairReport(int FilesRepaired, long BytesRebuilt, IReadOnlyList<PfsRepairFailure> Failures);
