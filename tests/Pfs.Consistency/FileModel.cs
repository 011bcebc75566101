namespace Pfs.Consistency;

/// <summary>
/// What a name should show: whether a file is there and in which directory. (Its bytes are kept
/// per file, by inode: see the checker.) Creates, deletes, renames and unlinks are marked as in
/// progress before they are sent, because another client may observe their effect before the
/// caller hears back.
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

    /// <summary>Which of the run's directories holds the file (a rename moves it to the other).</summary>
    public int Directory { get; set; }
}

internal enum FileState
{
    Absent,
    Creating,
    Present,
    Deleting,
    Renaming,
    Unlinking,
}
