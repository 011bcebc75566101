using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs put -r</c> and <c>pfs get -r</c>: whole trees, with one progress bar over all their bytes.
/// Each is built under a hidden name beside its target and renamed into place at the end (one atomic
/// rename in Pfs; one rename(2) locally), so a failed copy leaves nothing under the target's name.
/// Directories, regular files and symbolic links (copied as links, never followed) move, with their
/// permission bits and modification times.
/// </summary>
internal static class TreeTransfer
{
    private const UnixFileMode PermissionMask = (UnixFileMode)Modes.PermissionBits;

    public static async Task<int> PutAsync(CliConsole console, PfsClient client, string local, string? name,
        int? width, int blockSize, int parity, int jobs, CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(local);
        if (!root.Exists && !File.Exists(local) && root.LinkTarget is null)
        {
            throw new DirectoryNotFoundException($"cannot read '{local}': no such directory");
        }

        if (!root.Exists || root.LinkTarget is not null)
        {
            throw new UsageException($"'{local}' is not a local directory (put without -r copies a file)");
        }

        var entries = new List<(string Relative, FileSystemInfo Info)>();
        Scan(root, string.Empty, entries);
        if (name is null)
        {
            name = root.Name;
        }
        else if (PfsTree.Show(name) == "/" || await PfsTree.IsDirectoryAsync(client, name, cancellationToken).ConfigureAwait(false))
        {
            // Into an existing directory (the root included), under the tree's own name, as cp -r does.
            name = PfsTree.Join(name, root.Name);
        }

        await RefuseExistingAsync(client, name, cancellationToken).ConfigureAwait(false);
        var stripeWidth = await LayoutOptions.DataWidthAsync(client, width, parity, cancellationToken).ConfigureAwait(false);
        var total = entries.Sum(entry => entry.Info is FileInfo file && file.LinkTarget is null ? file.Length : 0);
        var partial = PfsTree.Join(PfsTree.Parent(name), $".{PfsTree.LastComponent(name)}.{Guid.NewGuid():N}.part");
        await client.CreateDirectoryAsync(partial, cancellationToken).ConfigureAwait(false);
        try
        {
            await TransferProgress.RunAsync(console, $"put -r {PfsTree.Show(name)} ({Count(entries)})", total, show: true, async report =>
            {
                // The directories first, a level at a time (parents before children), then the files and links;
                // `jobs` at once throughout.
                await Transfer.ByLevelAsync(entries.Where(entry => IsDirectory(entry.Info)), entry => entry.Relative, deepestFirst: false, jobs,
                    async (entry, token) => await client.CreateDirectoryAsync(PfsTree.Join(partial, entry.Relative), token).ConfigureAwait(false),
                    cancellationToken).ConfigureAwait(false);

                long moved = 0;
                await Transfer.ForEachAsync(entries.Where(entry => !IsDirectory(entry.Info)), jobs, async (entry, token) =>
                {
                    var (relative, info) = entry;
                    var path = PfsTree.Join(partial, relative);
                    if (info.LinkTarget is { } target)
                    {
                        await client.CreateSymbolicLinkAsync(path, target, token).ConfigureAwait(false);
                        return;
                    }

                    await client.CreateAsync(path, new PfsCreateOptions { StripeWidth = stripeWidth, BlockSize = blockSize, ParityBlocks = parity }, token).ConfigureAwait(false);
                    await using (var source = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1,
                                     FileOptions.Asynchronous | FileOptions.SequentialScan))
                    {
                        var copied = await PutCommand.CopyAsync(console, client, source, path, Transfer.ChunkBytes(stripeWidth, blockSize, source.Length, jobs), report, token).ConfigureAwait(false);
                        Interlocked.Add(ref moved, copied);
                    }

                    await KeepAttributesAsync(client, path, info, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);

                // Directories last and deepest first: adding their entries moved their times.
                foreach (var (relative, info) in entries.Where(entry => IsDirectory(entry.Info)).Reverse())
                {
                    await KeepAttributesAsync(client, PfsTree.Join(partial, relative), info, cancellationToken).ConfigureAwait(false);
                }

                await KeepAttributesAsync(client, partial, root, cancellationToken).ConfigureAwait(false);
                return moved;
            }).ConfigureAwait(false);
            await client.RenameAsync(partial, name, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RemoveQuietlyAsync(console, client, partial, jobs).ConfigureAwait(false);
            throw;
        }

        return ExitCodes.Ok;
    }

    public static async Task<int> GetAsync(CliConsole console, PfsClient client, string name, string? local, int jobs, CancellationToken cancellationToken)
    {
        var root = await client.StatAsync(name, cancellationToken).ConfigureAwait(false);
        if (root.Kind != PfsEntryKind.Directory)
        {
            throw new UsageException($"'{PfsTree.Show(name)}' is not a directory (get without -r copies a file)");
        }

        var last = PfsTree.LastComponent(name);
        var leaf = last.Length == 0 ? "pfs-root" : last;
        var target = local is null ? leaf : Directory.Exists(local) ? Path.Combine(local, leaf) : local;
        if (Path.Exists(target))
        {
            throw new IOException($"'{target}' already exists (choose a new name, or remove it first)");
        }

        var parent = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"cannot write '{target}': directory '{parent}' does not exist");
        }

        var entries = new List<PfsFileInfo>();
        await foreach (var entry in PfsTree.WalkAsync(client, name, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        var partial = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(partial);
        try
        {
            var prefix = root.Name.Length == 0 ? 0 : root.Name.Length + 1;
            var total = entries.Where(entry => entry.Kind == PfsEntryKind.File).Sum(entry => entry.Size);
            await TransferProgress.RunAsync(console, $"get -r {PfsTree.Show(name)} ({Count(entries)})", total, show: true, async report =>
            {
                // The directories first (parents first), then the files and links, `jobs` at once.
                foreach (var entry in entries.Where(entry => entry.Kind == PfsEntryKind.Directory))
                {
                    Directory.CreateDirectory(Path.Combine(partial, entry.Name[prefix..]));
                }

                long moved = 0;
                await Transfer.ForEachAsync(entries.Where(entry => entry.Kind != PfsEntryKind.Directory), jobs, async (entry, token) =>
                {
                    var path = Path.Combine(partial, entry.Name[prefix..]);
                    if (entry.Kind == PfsEntryKind.SymbolicLink)
                    {
                        File.CreateSymbolicLink(path, entry.Target ?? string.Empty);
                        return;
                    }

                    await using (var file = await LockWait.NoticeAsync(console, entry.Name, () => client.OpenAsync(entry.Name, PfsOpenMode.Read, token)).ConfigureAwait(false))
                    await using (var source = file.AsStream())
                    await using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.Asynchronous))
                    {
                        var copied = await GetCommand.CopyAsync(source, output, Transfer.ChunkBytes(entry.StripeWidth, entry.BlockSize, entry.Size, jobs), report, token).ConfigureAwait(false);
                        Interlocked.Add(ref moved, copied);
                    }

                    KeepAttributes(path, entry);
                }, cancellationToken).ConfigureAwait(false);

                foreach (var entry in entries.Where(entry => entry.Kind == PfsEntryKind.Directory).Reverse())
                {
                    KeepAttributes(Path.Combine(partial, entry.Name[prefix..]), entry);
                }

                KeepAttributes(partial, root);
                return moved;
            }).ConfigureAwait(false);
            Directory.Move(partial, target);
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }

        return ExitCodes.Ok;
    }

    /// <summary>Every entry under <paramref name="directory"/>, parents first; links are entries, never followed.</summary>
    private static void Scan(DirectoryInfo directory, string relative, List<(string Relative, FileSystemInfo Info)> entries)
    {
        foreach (var info in directory.EnumerateFileSystemInfos().OrderBy(info => info.Name, StringComparer.Ordinal))
        {
            var path = relative.Length == 0 ? info.Name : $"{relative}/{info.Name}";
            if (info.LinkTarget is null && info is FileInfo && !LocalFileType.IsRegularFile(info.FullName))
            {
                throw new UsageException($"cannot copy '{info.FullName}': not a regular file, directory or symbolic link");
            }

            entries.Add((path, info));
            if (info is DirectoryInfo child && info.LinkTarget is null)
            {
                Scan(child, path, entries);
            }
        }
    }

    private static bool IsDirectory(FileSystemInfo info) => info is DirectoryInfo && info.LinkTarget is null;

    private static string Count<T>(List<T> entries) => Counts.Of(entries.Count, "entry", "entries");

    private static async Task RefuseExistingAsync(PfsClient client, string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.StatAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.NotFound)
        {
            return;
        }

        throw new PfsException(PfsErrorCode.AlreadyExists, $"'{PfsTree.Show(name)}' already exists (choose a new name, or pfs rm -r it first)");
    }

    private static Task KeepAttributesAsync(PfsClient client, string path, FileSystemInfo info, CancellationToken cancellationToken) =>
        client.SetAttributesAsync(path, new PfsAttributeChanges
        {
            Mode = (uint)(info.UnixFileMode & PermissionMask),
            Modified = info.LastWriteTimeUtc,
        }, cancellationToken);

    private static void KeepAttributes(string path, PfsFileInfo entry)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)(entry.Mode & Modes.PermissionBits));
        }

        if (entry.Kind == PfsEntryKind.Directory)
        {
            Directory.SetLastWriteTimeUtc(path, entry.Modified.UtcDateTime);
        }
        else
        {
            File.SetLastWriteTimeUtc(path, entry.Modified.UtcDateTime);
        }
    }

    private static Task RemoveQuietlyAsync(CliConsole console, PfsClient client, string partial, int jobs) =>
        PutCommand.CleanUpAsync(console, $"the partial copy '{PfsTree.Show(partial)}'", "pfs rm -r", async token =>
            await PfsTree.RemoveAsync(console, client, await client.StatAsync(partial, token).ConfigureAwait(false), jobs, token).ConfigureAwait(false));
}
