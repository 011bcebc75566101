namespace Pfs.Client;

/// <summary>What a namespace entry is.</summary>
public enum PfsEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (never followed by Pfs itself).</summary>
    SymbolicLink,
}
