using Pfs.Client;

namespace Pfs.Consistency;

/// <summary>The checker's namespace operations: renames between the run's directories, unlinks of open files, listings.</summary>
public sealed partial class ConsistencyChecker
{
    private const int Directories = 2;

    /// <summary>Moves the file to the other directory (rename(2): atomic, the file keeps its bytes and its open handles).</summary>
    private async Task RenameAsync(PfsClient client, int who, int file)
    {
        var model = _models[file];
        int from;
        lock (model)
        {
            if (model.State != FileState.Present)
            {
                return;
            }

            from = model.Directory;
            model.State = FileState.Renaming;
        }

        var to = (from + 1) % Directories;
        await client.RenameAsync($"{DirectoryPath(from)}/{Leaf(file)}", $"{DirectoryPath(to)}/{Leaf(file)}").ConfigureAwait(false);
        lock (model)
        {
            model.Directory = to;
            model.State = FileState.Present;
        }

        Record(who, $"rename {Leaf(file)} d{from} -> d{to}");
    }

    /// <summary>Unlinks a file the caller holds open; returns whether it did (only a present file, not one on the move).</summary>
    private async Task<bool> UnlinkOpenAsync(PfsClient client, int who, int file)
    {
        var model = _models[file];
        lock (model)
        {
            if (model.State != FileState.Present)
            {
                return false;
            }

            model.State = FileState.Unlinking;
        }

        var path = FileName(file);
        await client.UnlinkAsync(path).ConfigureAwait(false);
        lock (model)
        {
            // The name is free: a create makes a new, empty file there, whatever the open one holds.
            model.State = FileState.Absent;
        }

        Record(who, $"unlink {path} (held open)");
        return true;
    }

    /// <summary>
    /// Lists both directories; if no file's state moved meanwhile, each must hold exactly the files the
    /// model has present there (an unlinked file that is still open is in neither).
    /// </summary>
    private async Task ListAsync(PfsClient client, int who)
    {
        var before = Snapshot();
        var listed = new List<string>();
        for (var directory = 0; directory < Directories; directory++)
        {
            await foreach (var entry in client.ListAsync(DirectoryPath(directory)).ConfigureAwait(false))
            {
                listed.Add(entry.Name);
            }
        }

        var after = Snapshot();
        if (!before.SequenceEqual(after) || before.Any(file => file.State != FileState.Present && file.State != FileState.Absent))
        {
            Record(who, "list (namespace moved meanwhile: not checked)");
            return;
        }

        var expected = before
            .Select((file, index) => (file, index))
            .Where(pair => pair.file.State == FileState.Present)
            .Select(pair => $"{DirectoryPath(pair.file.Directory)}/{Leaf(pair.index)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        listed.Sort(StringComparer.Ordinal);
        Record(who, $"list -> {listed.Count} entries");
        if (!expected.SequenceEqual(listed))
        {
            Fail(who, $"listing shows [{string.Join(", ", listed)}], the model says [{string.Join(", ", expected)}]");
        }
    }

    private List<(FileState State, int Directory, long Changes)> Snapshot() =>
        [.. _models.Select(model =>
        {
            lock (model)
            {
                return (model.State, model.Directory, model.Changes);
            }
        })];
}
