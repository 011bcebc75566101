using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;

namespace Pfs.Tests.Unit.FileServer;

/// <summary>Shorthands for driving a <see cref="BlockStore"/> and the <see cref="StagedObjects"/> over it in tests.</summary>
internal static class BlockStoreTesting
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    // Every writer the helpers below play gets an epoch newer than all before it, as the metadata server hands them out.
    private static long _lastEpoch;

    public static BlockStore NewStore(TempDirectory directory) =>
        new(Path.Join(directory.FullPath, "data"), NullLogger<BlockStore>.Instance);

    public static StagedObjects NewStaged(BlockStore store) => new(store, NullLogger<StagedObjects>.Instance);

    /// <summary>A write lock's access with an epoch newer than any handed out before.</summary>
    public static ObjectAccess NewWriter() => new((ulong)Interlocked.Increment(ref _lastEpoch), true, []);

    public static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }

    public static async Task<byte[][]> ReadBytesAsync(this BlockStore store, ObjectKey key, params ObjectRange[] ranges)
    {
        using var result = await store.ReadAsync(key, ranges).AsTask().WaitAsync(TestTimeout);
        return [.. result.Data.Select(data => data.ToArray())];
    }

    /// <summary>Writes as a client's write and close do: staged by a new writer, then committed.</summary>
    public static async Task<long> WriteBytesAsync(this StagedObjects staged, ObjectKey key, params (long Offset, byte[] Data)[] segments)
    {
        var writer = NewWriter();
        var written = await staged.WriteAsync(key, writer, [.. segments.Select(s => new ObjectSegment(s.Offset, s.Data))], sync: false).AsTask().WaitAsync(TestTimeout);
        await staged.CommitAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        return written;
    }

    /// <summary>Deletes as a client's delete does: with a new writer's capability.</summary>
    public static async Task<bool> DeleteObjectAsync(this StagedObjects staged, ObjectKey key) =>
        await staged.DeleteAsync(key, NewWriter()).AsTask().WaitAsync(TestTimeout);
}
