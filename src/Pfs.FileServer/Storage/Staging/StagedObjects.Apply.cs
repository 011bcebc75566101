using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage.Staging;

// Applying a stage: its bytes become the object's, on stable storage, before the stage's log goes.
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
            // Renamed over the object by an earlier attempt that failed after it.
            return;
        }

        using (shadow)
        {
            RandomAccess.FlushToDisk(shadow);
            if (!await CopyUnlessCoveredAsync(path, stage, shadow).ConfigureAwait(false))
            {
                return;
            }
        }

        // Every old byte was rewritten: the shadow is the new object. rename(2) is atomic, and the
        // directory is flushed so the new name survives a power cut, not only a process kill.
        File.Move(stage.ShadowPath, path.File, overwrite: true);
        DirectorySync.Flush(path.Directory);
    }

    // Copies the staged ranges into the object and removes the shadow, unless the stage covers every byte
    // the object has (then returns true: renaming is cheaper and just as safe).
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

        if (stage.Extents.CoversPrefix(objectLength))
        {
            return true;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(CopyChunkBytes);
        try
        {
            using (var target = ObjectFiles.OpenForWrite(path.Directory, path.File, FileMode.OpenOrCreate, FileAccess.Write))
            {
                foreach (var (start, length) in stage.Extents.Ranges())
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
