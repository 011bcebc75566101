namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// Who is calling, as its (verified) capability says: the lock's epoch, whether it is a write
/// lock, and the writer epochs of the file that committed but may not be applied here yet.
/// </summary>
public readonly record struct ObjectAccess(ulong Epoch, bool Write, IReadOnlyList<ulong> Committed)
{
    /// <summary>True if <paramref name="epoch"/> is named as committed.</summary>
    public bool HasCommitted(ulong epoch)
    {
        foreach (var committed in Committed)
        {
            if (committed == epoch)
            {
                return true;
            }
        }

        return false;
    }
}
