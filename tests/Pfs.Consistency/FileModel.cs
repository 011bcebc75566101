namespace Pfs.Consistency;

/// <summary>
/// What a file should hold under the lock protocol. Writers are exclusive, so the committed
/// bytes change only while a writer holds the lock, and a reader (who holds a shared lock)
/// must see exactly them. Creates and deletes are marked as in progress before they are sent,
/// because another client may observe their effect before the caller hears back.
/// </summary>
internal sealed class FileModel
{
    private FileState _state = FileState.Absent;

    public FileState State
    {
        get => _state;
        set
        {
            _state = value;
            Changes++;
        }
    }

    /// <summary>Counts state changes, so an observation can tell whether the state moved meanwhile.</summary>
    public long Changes { get; private set; }

    public byte[] Committed { get; set; } = [];
}

internal enum FileState
{
    Absent,
    Creating,
    Present,
    Deleting,
}
