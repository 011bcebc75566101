namespace Pfs.Client;

/// <summary>How a file is opened.</summary>
public enum PfsOpenMode
{
    /// <summary>Shared with other readers; writes throw <see cref="PfsErrorCode.WrongMode"/>.</summary>
    Read,

    /// <summary>Exclusive: no other reader or writer until close. May read too.</summary>
    Write,
}
