using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Per stripe object, the newest writer epoch seen. A write (or fence, or delete) with an older
/// epoch is refused; the first call of a newer epoch raises the floor, waits until the older
/// writes still in flight have finished, and persists the floor beside the object, so neither a
/// late packet nor a restart of this server lets a superseded writer's bytes land afterwards.
/// </summary>
internal sealed class EpochFences(string objectsRoot)
{
    private readonly ConcurrentDictionary<ObjectKey, Fence> _fences = new();

    /// <summary>Admits a write of <paramref name="epoch"/>; null if a newer writer has been seen. Dispose the result when the write is done.</summary>
    public async ValueTask<IDisposable?> EnterAsync(ObjectKey key, ulong epoch, CancellationToken cancellationToken)
    {
        var path = ObjectPath.Resolve(objectsRoot, key);
        var fence = _fences.GetOrAdd(key, static (_, file) => new Fence(Load(file)), path.File);
        Task? draining;
        bool raised;
        lock (fence)
        {
            if (epoch < fence.Floor)
            {
                return null;
            }

            raised = epoch > fence.Floor;
            if (raised)
            {
                fence.Floor = epoch;
                if (fence.InFlight > 0 && fence.Draining is null)
                {
                    fence.Draining = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            draining = fence.Draining?.Task;
        }

        if (draining is not null)
        {
            await draining.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (raised)
        {
            await PersistAsync(path, epoch, cancellationToken).ConfigureAwait(false);
        }

        lock (fence)
        {
            if (epoch < fence.Floor)
            {
                return null;
            }

            fence.InFlight++;
        }

        return new Admission(fence);
    }

    /// <summary>The floor file of an object, removed with it.</summary>
    public static string FloorFile(string objectFile) => objectFile + ".epoch";

    private static ulong Load(string objectFile)
    {
        var file = FloorFile(objectFile);
        try
        {
            var bytes = File.ReadAllBytes(file);
            return bytes.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    private static async Task PersistAsync(ObjectPath path, ulong epoch, CancellationToken cancellationToken)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, epoch);
        Directory.CreateDirectory(path.Directory);
        var temp = $"{FloorFile(path.File)}.{Environment.CurrentManagedThreadId}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        // Concurrent raises race here; whichever rename lands last may be the smaller epoch, so
        // check and rewrite until the file holds at least what was just admitted.
        File.Move(temp, FloorFile(path.File), overwrite: true);
        var stored = Load(path.File);
        if (stored < epoch)
        {
            await PersistAsync(path, epoch, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Fence(ulong floor)
    {
        public ulong Floor = floor;
        public int InFlight;
        public TaskCompletionSource? Draining;
    }

    private sealed class Admission(Fence fence) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            lock (fence)
            {
                fence.InFlight--;
                if (fence.InFlight == 0 && fence.Draining is { } draining)
                {
                    fence.Draining = null;
                    draining.TrySetResult();
                }
            }
        }
    }
}
