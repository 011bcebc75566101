using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage.Staging;

// Applying a stage: its cuts and bytes become the object's, on stable storage, before the stage's log goes.
public sealed partial class StagedObjects
{
    private const int CopyChunkBytes = 1024 * 1024;

    // Idempotent, so a commit that failed half-way (or a restart) can simply run it again.
    private static async ValueTask ApplyAsync(ObjectPath path, Stage stage)
    {
        SafeFileHandle shadow;
        try
        {
            shadow = ObjectFiles.OpenExisting(stage.ShadowPath, FileAccess.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            // Renamed over the object by an earlier attempt that failed after it (the sums went first).
            ObjectFiles.TryDelete(stage.SumsPath);
            return;
        }

        // The sums first: once the shadow is gone nothing would tell that they are still to be applied.
        try
        {
            ApplySums(path, stage);
        }
        catch
        {
            shadow.Dispose();
            throw;
        }

        using (shadow)
        {
            if (!await CopyUnlessCoveredAsync(path, stage, shadow).ConfigureAwait(false))
            {
                return;
            }

            RandomAccess.FlushToDisk(shadow);
        }

        // The shadow holds the whole new object. rename(2) is atomic, and the
        // directory is flushed so the new name survives a power cut, not only a process kill.
        File.Move(stage.ShadowPath, path.File, overwrite: true);
        DirectorySync.Flush(path.Directory);
    }

    private const int SumCopyBlocks = 64 * 1024;

    // Makes the stage's sums the object's: the same cut and the same ranges as the bytes (or the whole
    // view, when the shadow will replace the object), copied into the object's sum file, which is
    // flushed before the sums shadow goes. Idempotent. A stage of an object that keeps sums always has
    // a sums shadow (every write and cut makes one), so none means nothing to do, or done already.
    private static void ApplySums(ObjectPath path, Stage stage)
    {
        SafeFileHandle staged;
        try
        {
            staged = ObjectFiles.OpenExisting(stage.SumsPath, FileAccess.Read);
        }
        catch (FileNotFoundException)
        {
            return;
        }

        using (staged)
        {
            var unit = Sums.SumFile.ReadUnit(staged);
            if (unit == 0)
            {
                // Not a sum file (a crash while it was being made): nothing in it was ever named by the log.
                staged.Dispose();
                File.Delete(stage.SumsPath);
                return;
            }

            var changes = stage.Changes;
            var objectLength = CommittedLength(path);
            using (var committed = Sums.SumFile.OpenForWrite(path, Sums.SumFile.CommittedOf(path), unit))
            {
                var entries = new Sums.SumEntry[SumCopyBlocks];
                void Copy(long first, long end)
                {
                    for (var block = first; block < end; block += SumCopyBlocks)
                    {
                        var span = entries.AsSpan(0, (int)Math.Min(SumCopyBlocks, end - block));
                        Sums.SumFile.Read(staged, block, span);
                        Sums.SumFile.Write(committed, block, span);
                    }
                }

                if (changes.ShadowHoldsView(objectLength))
                {
                    Sums.SumFile.Cut(committed, 0);
                    Copy(0, Sums.SumFile.BlocksOf(changes.ViewLength(objectLength), unit));
                }
                else
                {
                    if (changes.CutBase is { } cut)
                    {
                        Sums.SumFile.Cut(committed, Sums.SumFile.BlocksOf(cut, unit));
                    }

                    foreach (var (start, length) in changes.Extents.Ranges())
                    {
                        Copy(start / unit, Sums.SumFile.BlocksOf(start + length, unit));
                    }
                }

                RandomAccess.FlushToDisk(committed);
            }
        }

        DirectorySync.Flush(path.Directory);
        File.Delete(stage.SumsPath);
    }

    // Cuts the object where the writer cut it and copies the staged ranges into it, then removes the
    // shadow; unless the shadow holds the writer's whole view of the object (then returns true: renaming
    // is cheaper and just as safe, and the shadow has been cut to the view's length).
    private static async ValueTask<bool> CopyUnlessCoveredAsync(ObjectPath path, Stage stage, SafeFileHandle shadow)
    {
        long objectLength;
        try
        {
            objectLength = new FileInfo(path.File).Length;
        }
        catch (FileNotFoundException)
        {
            objectLength = 0;
        }

        var changes = stage.Changes;
        if (changes.ShadowHoldsView(objectLength))
        {
            if (changes.CutBase is not null)
            {
                // A crash between logging a cut and cutting the shadow leaves bytes past the view in it.
                RandomAccess.SetLength(shadow, changes.ViewLength(objectLength));
            }

            return true;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(CopyChunkBytes);
        try
        {
            using (var target = ObjectFiles.OpenForWrite(path.Directory, path.File, FileMode.OpenOrCreate, FileAccess.Write))
            {
                // Cut (or extend with zeros) first, so bytes the writer cut away never come back. Run again
                // after a failure, this cuts copied ranges too, and the copy below puts them back.
                if (changes.CutBase is { } cut)
                {
                    RandomAccess.SetLength(target, cut);
                }

                foreach (var (start, length) in changes.Extents.Ranges())
                {
                    var end = start + length;
                    for (var at = start; at < end;)
                    {
                        var chunk = (int)Math.Min(CopyChunkBytes, end - at);
                        var read = await ObjectFiles.ReadFullyAsync(shadow, buffer.AsMemory(0, chunk), at).ConfigureAwait(false);
                        if (read < chunk)
                        {
                            // A logged range always exists in the shadow; a short read means the shadow was damaged.
                            throw new IOException($"the stage of epoch {stage.Epoch} is shorter than its log ({at + read} < {end})");
                        }

                        await RandomAccess.WriteAsync(target, buffer.AsMemory(0, chunk), at).ConfigureAwait(false);
                        at += chunk;
                    }
                }

                // A later cut past the first one extends the view with zeros.
                if (changes.CutBase is not null && RandomAccess.GetLength(target) < changes.CutLength)
                {
                    RandomAccess.SetLength(target, changes.CutLength);
                }

                RandomAccess.FlushToDisk(target);
            }

            DirectorySync.Flush(path.Directory);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        File.Delete(stage.ShadowPath);
        return false;
    }
}
