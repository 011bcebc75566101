using Pfs.Erasure.Galois;

namespace Pfs.Erasure.Coding;

/// <summary>
/// The one loop behind encode, decode and parity update: outputs[r] = (or ^=) the sum over j of
/// tables[r, j] * inputs[j], for every byte of [0, length).
/// </summary>
/// <remarks>
/// Like ISA-L's <c>gf_Nvect_dot_prod</c>, each pass keeps up to <see cref="RowsPerPass"/> output
/// rows in registers and reads each input vector once for all of them, so a 4+2 encode reads the
/// data once and writes each parity once. More rows than that take several passes over a block
/// of <see cref="BlockSize"/> bytes, which the first pass left in the cache. A vector kernel
/// returns where its whole vectors ended; the scalar kernel finishes the last few bytes.
/// </remarks>
internal static unsafe class RegionCoder
{
    public const int RowsPerPass = 4;

    /// <summary>Bytes of every shard coded per block: a multiple of 64; K blocks fit in L2.</summary>
    public const int BlockSize = 16 * 1024;

    public static void Apply(
        GfKernel kernel, CodingTables tables, int rowCount,
        byte** inputs, byte** outputs, int length, bool accumulate)
    {
        var columns = tables.Columns;
        fixed (byte* coefficients = tables.Coefficients)
        fixed (ulong* affine = tables.Affine)
        fixed (byte* nibbles = tables.Nibbles)
        fixed (byte* mulTable = GaloisField.MulTable)
        {
            for (nint start = 0; start < length; start += BlockSize)
            {
                var end = Math.Min(length, start + BlockSize);
                for (var group = 0; group < rowCount; group += RowsPerPass)
                {
                    var rows = Math.Min(RowsPerPass, rowCount - group);
                    var first = group * columns;
                    var outs = outputs + group;
                    var done = kernel switch
                    {
                        GfKernel.Gfni512 => GfniKernels.Dot512(rows, inputs, columns, outs, affine + first, start, end, accumulate),
                        GfKernel.Gfni256 => GfniKernels.Dot256(rows, inputs, columns, outs, affine + first, start, end, accumulate),
                        GfKernel.Avx512 => ShuffleKernels.Dot512(rows, inputs, columns, outs, nibbles + first * CodingTables.NibbleBytes, start, end, accumulate),
                        GfKernel.Avx2 => ShuffleKernels.Dot256(rows, inputs, columns, outs, nibbles + first * CodingTables.NibbleBytes, start, end, accumulate),
                        GfKernel.Shuffle128 => ShuffleKernels.Dot128(rows, inputs, columns, outs, nibbles + first * CodingTables.NibbleBytes, start, end, accumulate),
                        _ => start,
                    };
                    if (done < end)
                    {
                        ScalarKernel.Dot(rows, inputs, columns, outs, coefficients + first, mulTable, done, end, accumulate);
                    }
                }
            }
        }
    }
}
