namespace Pfs.FileServer.Storage;

/// <summary>A byte range of a stripe object to read.</summary>
public readonly record struct ObjectRange(long Offset, int Length);
