using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>Request checks, done before any file is opened so that a refused request leaves no trace on disk.</summary>
internal static class ObjectRequests
{
    /// <summary>Refuses negative ranges, ranges past the largest object and reads that ask for too much at once.</summary>
    public static void ValidateRanges(IReadOnlyList<ObjectRange> ranges)
    {
        long requested = 0;
        foreach (var range in ranges)
        {
            if (range.Offset < 0 || range.Length < 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"range ({range.Offset}, {range.Length}) has a negative offset or length");
            }

            // Offset first so that offset + length cannot overflow.
            if (range.Offset > PfsLimits.MaxObjectBytes - range.Length)
            {
                throw new BlockStoreException(BlockStoreError.OutOfRange, $"range ({range.Offset}, {range.Length}) reaches past the largest object ({PfsLimits.MaxObjectBytes} bytes)");
            }

            requested += range.Length;
        }

        if (requested > PfsLimits.MaxReadBytesPerCall)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, $"a read may ask for at most {PfsLimits.MaxReadBytesPerCall} bytes, not {requested}");
        }
    }

    /// <summary>Refuses negative offsets and segments past the largest object.</summary>
    /// <returns>The bytes the segments carry.</returns>
    public static long ValidateSegments(IReadOnlyList<ObjectSegment> segments)
    {
        long total = 0;
        foreach (var segment in segments)
        {
            if (segment.Offset < 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"segment offset {segment.Offset} is negative");
            }

            if (segment.Offset > PfsLimits.MaxObjectBytes - segment.Data.Length)
            {
                throw new BlockStoreException(BlockStoreError.OutOfRange, $"segment ({segment.Offset}, {segment.Data.Length}) reaches past the largest object ({PfsLimits.MaxObjectBytes} bytes)");
            }

            total += segment.Data.Length;
        }

        return total;
    }
}
