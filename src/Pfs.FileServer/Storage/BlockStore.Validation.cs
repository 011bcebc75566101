namespace Pfs.FileServer.Storage;

// Request checks, done before any file is opened so a refused request leaves no trace on disk.
public sealed partial class BlockStore
{
    internal static void ValidateRanges(IReadOnlyList<ObjectRange> ranges)
    {
        long requested = 0;
        foreach (var range in ranges)
        {
            if (range.Offset < 0 || range.Length < 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"range ({range.Offset}, {range.Length}) has a negative offset or length");
            }

            // Offset first so that offset + length cannot overflow.
            if (range.Offset > MaxObjectBytes - range.Length)
            {
                throw new BlockStoreException(BlockStoreError.OutOfRange, $"range ({range.Offset}, {range.Length}) reaches past the largest object ({MaxObjectBytes} bytes)");
            }

            requested += range.Length;
        }

        if (requested > MaxReadBytes)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, $"a read may ask for at most {MaxReadBytes} bytes, not {requested}");
        }
    }

    internal static long ValidateSegments(IReadOnlyList<ObjectSegment> segments)
    {
        long total = 0;
        foreach (var segment in segments)
        {
            if (segment.Offset < 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"segment offset {segment.Offset} is negative");
            }

            if (segment.Offset > MaxObjectBytes - segment.Data.Length)
            {
                throw new BlockStoreException(BlockStoreError.OutOfRange, $"segment ({segment.Offset}, {segment.Data.Length}) reaches past the largest object ({MaxObjectBytes} bytes)");
            }

            total += segment.Data.Length;
        }

        return total;
    }
}
