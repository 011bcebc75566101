namespace Pfs.Client.Caching;

/// <summary>A block of one generation of a file: a re-created name never hits the old file's blocks.</summary>
internal readonly record struct BlockKey(ulong FileId, long Index);
