using System.Globalization;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Moves a data directory from the v1 layout, <c>objects/&lt;file name&gt;/&lt;generation&gt;*</c>, to the
/// generation-keyed one (<see cref="ObjectPath"/>), before the server serves anything. Each file moves
/// by rename, which is atomic, so a run stopped anywhere (a crash, a power cut) leaves every file in
/// one place or the other, and the next start finishes the job: a file found in both places (the
/// target written by the stopped run) keeps the target. Files a v1 server would have removed anyway
/// (half-written temporaries) are deleted; a file it cannot place is left where it is and logged.
/// </summary>
internal static partial class LayoutMigration
{
    private const string OldRootName = "objects";
    private const int GenerationDigits = 16;

    // What v1 kept beside an object; the object itself has no suffix.
    private static readonly string[] Suffixes = [string.Empty, ".epoch", ".stage", ".stage.log"];

    public static void Run(string dataDirectory, string stripesRoot, ILogger logger)
    {
        var oldRoot = Path.Join(dataDirectory, OldRootName);
        if (!Directory.Exists(oldRoot))
        {
            return;
        }

        var counts = new Counts();
        foreach (var nameDirectory in Directory.EnumerateFileSystemEntries(oldRoot))
        {
            if (!Directory.Exists(nameDirectory))
            {
                Log.Unplaced(logger, nameDirectory);
                counts.Left++;
                continue;
            }

            MoveDirectory(nameDirectory, stripesRoot, logger, counts);
        }

        ObjectFiles.TryRemoveEmptyDirectory(oldRoot);
        if (!Directory.Exists(oldRoot))
        {
            DirectorySync.Flush(dataDirectory);
        }

        Log.Migrated(logger, counts.Moved, counts.Generations.Count, counts.Names, counts.AlreadyThere, counts.Dropped, counts.Left);
    }

    private static void MoveDirectory(string nameDirectory, string stripesRoot, ILogger logger, Counts counts)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFileSystemEntries(nameDirectory))
        {
            var fileName = Path.GetFileName(file);
            if (!TryParse(fileName, out var generation, out var temporary) || !File.Exists(file))
            {
                Log.Unplaced(logger, file);
                counts.Left++;
                continue;
            }

            if (temporary)
            {
                File.Delete(file);
                counts.Dropped++;
                continue;
            }

            var directory = ObjectPath.Resolve(stripesRoot, generation).Directory;
            var target = Path.Join(directory, fileName);
            Directory.CreateDirectory(directory);
            if (File.Exists(target))
            {
                File.Delete(file);
                counts.AlreadyThere++;
            }
            else
            {
                File.Move(file, target, overwrite: false);
                counts.Moved++;
            }

            counts.Generations.Add(generation);
            targets.Add(directory);
        }

        // The new names are on stable storage before the old directory can go.
        foreach (var directory in targets)
        {
            DirectorySync.Flush(directory);
        }

        DirectorySync.Flush(nameDirectory);
        ObjectFiles.TryRemoveEmptyDirectory(nameDirectory);
        counts.Names++;
    }

    // "<16 hex digits><suffix>" as v1 named an object and what lay beside it; "<that>.<guid>.tmp" is a
    // replacement v1 was writing (see ObjectFiles.ReplaceAtomically) and never finished.
    private static bool TryParse(string fileName, out ulong generation, out bool temporary)
    {
        temporary = false;
        if (fileName.Length < GenerationDigits
            || !ulong.TryParse(fileName.AsSpan(0, GenerationDigits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out generation)
            || generation == 0
            || !string.Equals(fileName[..GenerationDigits], generation.ToString("x16", CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            generation = 0;
            return false;
        }

        var suffix = fileName[GenerationDigits..];
        temporary = suffix.EndsWith(".tmp", StringComparison.Ordinal);
        return temporary || Suffixes.Contains(suffix, StringComparer.Ordinal);
    }

    private sealed class Counts
    {
        public HashSet<ulong> Generations { get; } = [];

        public int Names { get; set; }

        public int Moved { get; set; }

        public int AlreadyThere { get; set; }

        public int Dropped { get; set; }

        public int Left { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, EventName = "LayoutMigrated", Level = LogLevel.Information,
            Message = "Moved the v1 data layout to stripes/: {Moved} files of {Generations} objects from {Names} name directories ({AlreadyThere} were already in place from an interrupted run, {Dropped} unfinished temporary files deleted, {Left} files left unplaced)")]
        public static partial void Migrated(ILogger logger, int moved, int generations, int names, int alreadyThere, int dropped, int left);

        [LoggerMessage(EventId = 21, EventName = "LayoutUnplaced", Level = LogLevel.Warning,
            Message = "Left {Path} in the v1 data layout: it is not an object file a v1 server wrote")]
        public static partial void Unplaced(ILogger logger, string path);
    }
}
