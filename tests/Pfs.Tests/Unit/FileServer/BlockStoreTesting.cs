using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.FileServer.Storage;

namespace Pfs.Tests.Unit.FileServer;

/// <summary>Shorthands for driving a <see cref="BlockStore"/> in tests.</summary>
internal static class BlockStoreTesting
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    public static BlockStore NewStore(TempDirectory directory) =>
        new(Path.Join(directory.FullPath, "data"), NullLogger<BlockStore>.Instance);

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

    public static async Task<long> WriteBytesAsync(this BlockStore store, ObjectKey key, params (long Offset, byte[] Data)[] segments) =>
        await store.WriteAsync(key, [.. segments.Select(s => new ObjectSegment(s.Offset, s.Data))], sync: false).AsTask().WaitAsync(TestTimeout);
}
