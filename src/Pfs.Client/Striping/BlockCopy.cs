namespace Pfs.Client.Striping;

/// <summary>Copies between one block and a caller's buffer that covers some byte range of the file.</summary>
internal static class BlockCopy
{
    /// <summary>
    /// Copies the part of block <paramref name="index"/> that overlaps
    /// <paramref name="destination"/> (which holds the file's bytes from <paramref name="offset"/>);
    /// bytes past the end of <paramref name="blockBytes"/> read as zeros.
    /// </summary>
    public static void CopyOut(ReadOnlySpan<byte> blockBytes, long index, int blockSize, long offset, Span<byte> destination)
    {
        var blockStart = index * blockSize;
        var from = (int)Math.Max(0, offset - blockStart);
        var to = (int)Math.Min(blockSize, offset + destination.Length - blockStart);
        if (to <= from)
        {
            return;
        }

        var target = destination.Slice((int)(blockStart + from - offset), to - from);
        var available = Math.Clamp(blockBytes.Length - from, 0, to - from);
        if (available > 0)
        {
            blockBytes.Slice(from, available).CopyTo(target);
        }

        target[available..].Clear();
    }
}
