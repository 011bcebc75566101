namespace Pfs.FileServer.Storage;

/// <summary>Bytes to write into a stripe object at <paramref name="Offset"/>.</summary>
public readonly record struct ObjectSegment(long Offset, ReadOnlyMemory<byte> Data);
