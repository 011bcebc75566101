namespace Pfs.FileServer.Storage;

/// <summary>
/// Bytes to write into a stripe object at <paramref name="Offset"/>, with the sum of each checksum-block
/// chunk of them when the writer sent sums (see <see cref="Protocol.BlockChecksum"/>).
/// </summary>
public readonly record struct ObjectSegment(long Offset, ReadOnlyMemory<byte> Data, IReadOnlyList<uint>? Sums = null);
