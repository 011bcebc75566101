using System.Runtime.CompilerServices;

namespace Pfs.Client;

/// <summary>
/// The namespace: directories, rename, links and attributes. A name is a path of components separated
/// by '/' (a leading '/' changes nothing; "" and "/" are the root); a bad path is
/// <see cref="PfsErrorCode.InvalidArgument"/>, refused here before any call is made. Every change is in
/// the metadata store before the call returns.
/// </summary>
public sealed partial class PfsClient
{
    /// <summary>
    /// Creates an empty file. Its parent directory must exist (<see cref="PfsErrorCode.NotFound"/>,
    /// <see cref="PfsErrorCode.NotADirectory"/>); a taken name is <see cref="PfsErrorCode.AlreadyExists"/>;
    /// options out of range are <see cref="PfsErrorCode.InvalidArgument"/>.
    /// </summary>
    public async Task CreateAsync(string path, PfsCreateOptions options, CancellationToken cancellationToken = default) =>
        await CreateAtAsync(0, path, options, cancellationToken).ConfigureAwait(false);

    /// <summary>Creates an empty directory (mode 0755). Its parent must exist; a taken name is <see cref="PfsErrorCode.AlreadyExists"/>.</summary>
    public async Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default) =>
        await CreateDirectoryAtAsync(0, path, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Deletes an empty directory (<see cref="PfsErrorCode.DirectoryNotEmpty"/> otherwise; a file is
    /// <see cref="PfsErrorCode.NotADirectory"/>).
    /// </summary>
    public async Task DeleteDirectoryAsync(string path, CancellationToken cancellationToken = default) =>
        await DeleteDirectoryAtAsync(0, path, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Every entry of a directory exactly once, in pages from the metadata server (so a directory of a
    /// million entries never arrives as one message), each with its full path as <see cref="PfsFileInfo.Name"/>.
    /// Entries created or removed during the listing may or may not appear. A missing directory is
    /// <see cref="PfsErrorCode.NotFound"/>; a file is <see cref="PfsErrorCode.NotADirectory"/>.
    /// </summary>
    public async IAsyncEnumerable<PfsFileInfo> ListAsync(string directory, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidatePath(directory);
        var after = string.Empty;
        while (true)
        {
            var (entries, cursor, more) = await ListPageAtAsync(0, directory, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                yield return entry;
            }

            if (!more)
            {
                yield break;
            }

            after = cursor;
        }
    }

    /// <summary>
    /// Moves <paramref name="from"/> to <paramref name="to"/> as rename(2) does, atomically for every client:
    /// a file replaces a file in one step, a directory replaces only an empty directory
    /// (<see cref="PfsErrorCode.DirectoryNotEmpty"/>); a file onto a directory is <see cref="PfsErrorCode.IsADirectory"/>,
    /// a directory onto a file <see cref="PfsErrorCode.NotADirectory"/>; a directory into its own subtree
    /// is <see cref="PfsErrorCode.InvalidArgument"/>; a missing <paramref name="from"/> or parent of
    /// <paramref name="to"/> is <see cref="PfsErrorCode.NotFound"/>. <see cref="PfsFile"/>s open on the
    /// moved file keep working.
    /// </summary>
    public async Task RenameAsync(string from, string to, CancellationToken cancellationToken = default) =>
        await RenameAtAsync(0, from, 0, to, noReplace: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// unlink(2): removes the name of a file or symbolic link at once, without waiting for anyone who has
    /// the file open (unlike <see cref="DeleteAsync"/>). Open handles keep reading and writing the file;
    /// once the last of them closes (or its holder's lease ends), its blocks are freed on every file
    /// server. A directory is <see cref="PfsErrorCode.IsADirectory"/>.
    /// </summary>
    public async Task UnlinkAsync(string path, CancellationToken cancellationToken = default) =>
        await UnlinkAtAsync(0, path, cancellationToken).ConfigureAwait(false);

    /// <summary>Creates a symbolic link at <paramref name="path"/> holding <paramref name="target"/> (stored as given; Pfs never follows it).</summary>
    public async Task CreateSymbolicLinkAsync(string path, string target, CancellationToken cancellationToken = default) =>
        await CreateSymbolicLinkAtAsync(0, path, target, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>What the symbolic link at <paramref name="path"/> holds (<see cref="PfsErrorCode.InvalidArgument"/> if it is no symbolic link).</summary>
    public async Task<string> ReadSymbolicLinkAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = await StatAsync(path, cancellationToken).ConfigureAwait(false);
        return info.Target ?? throw new PfsException(PfsErrorCode.InvalidArgument, $"'{info.Name}' is not a symbolic link");
    }

    /// <summary>
    /// A second name (hard link) <paramref name="path"/> for the existing file <paramref name="existing"/>;
    /// both name the same file (the same <see cref="PfsFileInfo.Inode"/>, and its <see cref="PfsFileInfo.LinkCount"/>
    /// counts them). A directory is <see cref="PfsErrorCode.IsADirectory"/>.
    /// </summary>
    public async Task CreateHardLinkAsync(string existing, string path, CancellationToken cancellationToken = default) =>
        await CreateHardLinkAtAsync(0, existing, 0, path, cancellationToken).ConfigureAwait(false);

    /// <summary>chmod, chown and utimes: sets what <paramref name="changes"/> names; ctime becomes now. Returns the entry as it is then.</summary>
    public Task<PfsFileInfo> SetAttributesAsync(string path, PfsAttributeChanges changes, CancellationToken cancellationToken = default) =>
        SetAttributesAtAsync(0, path, changes, cancellationToken);
}
