namespace Pfs.FileServer.Storage;

/// <summary>
/// Names one stripe object: the generation the metadata server gave the file (its inode number),
/// which alone locates the object, and the file's path as the caller knows it, for logs only.
/// </summary>
public readonly record struct ObjectKey(string Name, ulong Generation);
