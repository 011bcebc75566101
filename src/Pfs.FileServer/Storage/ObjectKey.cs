namespace Pfs.FileServer.Storage;

/// <summary>Names one stripe object: the Pfs file name and the generation the metadata server gave the file.</summary>
public readonly record struct ObjectKey(string Name, ulong Generation);
