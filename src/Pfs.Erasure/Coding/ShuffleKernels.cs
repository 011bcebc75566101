using System.Runtime.Intrinsics;

namespace Pfs.Erasure.Coding;

/// <summary>
/// The split-nibble multiply of ISA-L and klauspost/reedsolomon: c * x = low[x &amp; 15] ^
/// high[x &gt;&gt; 4], two 16-entry tables per constant looked up 16 bytes at a time by a byte
/// shuffle (vpshufb shuffles within each 128-bit lane, so the tables are broadcast to every lane).
/// One loop serves the three widths (<see cref="IShuffleVector{TVec}"/>).
/// </summary>
internal static unsafe class ShuffleKernels
{
    public static nint Dot512(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) =>
        Dot<Bytes512, Vector512<byte>>(rows, inputs, columns, outputs, tables, start, end, accumulate);

    public static nint Dot256(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) =>
        Dot<Bytes256, Vector256<byte>>(rows, inputs, columns, outputs, tables, start, end, accumulate);

    public static nint Dot128(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) =>
        Dot<Bytes128, Vector128<byte>>(rows, inputs, columns, outputs, tables, start, end, accumulate);

    private static nint Dot<TOps, TVec>(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate)
        where TOps : struct, IShuffleVector<TVec>
        where TVec : struct
    {
        return rows switch
        {
            1 => Dot<TOps, TVec, OneRow>(inputs, columns, outputs, tables, start, end, accumulate),
            2 => Dot<TOps, TVec, TwoRows>(inputs, columns, outputs, tables, start, end, accumulate),
            3 => Dot<TOps, TVec, ThreeRows>(inputs, columns, outputs, tables, start, end, accumulate),
            _ => Dot<TOps, TVec, FourRows>(inputs, columns, outputs, tables, start, end, accumulate),
        };
    }

    private static nint Dot<TOps, TVec, TRows>(byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate)
        where TOps : struct, IShuffleVector<TVec>
        where TVec : struct
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        var width = TOps.Count;
        var stride = columns * CodingTables.NibbleBytes;
        byte* t0 = tables, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var nibble = TOps.Create(0x0F);
        var i = start;
        for (; i + width <= end; i += width)
        {
            TVec a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = TOps.Load(inputs[j] + i);
                var low = TOps.And(x, nibble);
                var high = TOps.ShiftRightLogical(x, 4);
                var t = j * CodingTables.NibbleBytes;
                a0 = TOps.MultiplyAdd(a0, t0 + t, low, high);
                if (n > 1)
                {
                    a1 = TOps.MultiplyAdd(a1, t1 + t, low, high);
                }
                if (n > 2)
                {
                    a2 = TOps.MultiplyAdd(a2, t2 + t, low, high);
                }
                if (n > 3)
                {
                    a3 = TOps.MultiplyAdd(a3, t3 + t, low, high);
                }
            }
            OutputRows.Write<TOps, TVec, TRows>(o0, o1, o2, o3, i, ref a0, ref a1, ref a2, ref a3, accumulate);
        }
        return i;
    }
}
