using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pfs.Erasure.Coding;

/// <summary>
/// The split-nibble multiply of ISA-L and klauspost/reedsolomon: c * x = low[x &amp; 15] ^
/// high[x &gt;&gt; 4], two 16-entry tables per constant looked up 16 bytes at a time by a byte
/// shuffle (vpshufb shuffles within each 128-bit lane, so the tables are broadcast to every lane).
/// </summary>
internal static unsafe class ShuffleKernels
{
    private const int LowTable = 0;
    private const int HighTable = 16;

    public static nint Dot512(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) => rows switch
    {
        1 => Dot512<OneRow>(inputs, columns, outputs, tables, start, end, accumulate),
        2 => Dot512<TwoRows>(inputs, columns, outputs, tables, start, end, accumulate),
        3 => Dot512<ThreeRows>(inputs, columns, outputs, tables, start, end, accumulate),
        _ => Dot512<FourRows>(inputs, columns, outputs, tables, start, end, accumulate),
    };

    public static nint Dot256(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) => rows switch
    {
        1 => Dot256<OneRow>(inputs, columns, outputs, tables, start, end, accumulate),
        2 => Dot256<TwoRows>(inputs, columns, outputs, tables, start, end, accumulate),
        3 => Dot256<ThreeRows>(inputs, columns, outputs, tables, start, end, accumulate),
        _ => Dot256<FourRows>(inputs, columns, outputs, tables, start, end, accumulate),
    };

    public static nint Dot128(int rows, byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate) => rows switch
    {
        1 => Dot128<OneRow>(inputs, columns, outputs, tables, start, end, accumulate),
        2 => Dot128<TwoRows>(inputs, columns, outputs, tables, start, end, accumulate),
        3 => Dot128<ThreeRows>(inputs, columns, outputs, tables, start, end, accumulate),
        _ => Dot128<FourRows>(inputs, columns, outputs, tables, start, end, accumulate),
    };

    private static nint Dot512<TRows>(byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate)
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        var stride = columns * CodingTables.NibbleBytes;
        byte* t0 = tables, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var nibble = Vector512.Create((byte)0x0F);
        var i = start;
        for (; i + 64 <= end; i += 64)
        {
            Vector512<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = Vector512.Load(inputs[j] + i);
                var low = x & nibble;
                var high = Vector512.ShiftRightLogical(x, 4);
                var t = j * CodingTables.NibbleBytes;
                a0 = Mad512(a0, t0 + t, low, high);
                if (n > 1)
                {
                    a1 = Mad512(a1, t1 + t, low, high);
                }
                if (n > 2)
                {
                    a2 = Mad512(a2, t2 + t, low, high);
                }
                if (n > 3)
                {
                    a3 = Mad512(a3, t3 + t, low, high);
                }
            }
            if (accumulate)
            {
                a0 ^= Vector512.Load(o0 + i);
                if (n > 1)
                {
                    a1 ^= Vector512.Load(o1 + i);
                }
                if (n > 2)
                {
                    a2 ^= Vector512.Load(o2 + i);
                }
                if (n > 3)
                {
                    a3 ^= Vector512.Load(o3 + i);
                }
            }
            a0.Store(o0 + i);
            if (n > 1)
            {
                a1.Store(o1 + i);
            }
            if (n > 2)
            {
                a2.Store(o2 + i);
            }
            if (n > 3)
            {
                a3.Store(o3 + i);
            }
        }
        return i;
    }

    // acc ^ low-table[low] ^ high-table[high] in one vpternlog (0x96 = three-way XOR).
    private static Vector512<byte> Mad512(Vector512<byte> acc, byte* table, Vector512<byte> low, Vector512<byte> high) =>
        Avx512F.TernaryLogic(
            acc,
            Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512((int*)(table + LowTable)).AsByte(), low),
            Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512((int*)(table + HighTable)).AsByte(), high),
            0x96);

    private static nint Dot256<TRows>(byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate)
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        var stride = columns * CodingTables.NibbleBytes;
        byte* t0 = tables, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var nibble = Vector256.Create((byte)0x0F);
        var i = start;
        for (; i + 32 <= end; i += 32)
        {
            Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = Vector256.Load(inputs[j] + i);
                var low = x & nibble;
                var high = Vector256.ShiftRightLogical(x, 4);
                var t = j * CodingTables.NibbleBytes;
                a0 ^= Mul256(t0 + t, low, high);
                if (n > 1)
                {
                    a1 ^= Mul256(t1 + t, low, high);
                }
                if (n > 2)
                {
                    a2 ^= Mul256(t2 + t, low, high);
                }
                if (n > 3)
                {
                    a3 ^= Mul256(t3 + t, low, high);
                }
            }
            if (accumulate)
            {
                a0 ^= Vector256.Load(o0 + i);
                if (n > 1)
                {
                    a1 ^= Vector256.Load(o1 + i);
                }
                if (n > 2)
                {
                    a2 ^= Vector256.Load(o2 + i);
                }
                if (n > 3)
                {
                    a3 ^= Vector256.Load(o3 + i);
                }
            }
            a0.Store(o0 + i);
            if (n > 1)
            {
                a1.Store(o1 + i);
            }
            if (n > 2)
            {
                a2.Store(o2 + i);
            }
            if (n > 3)
            {
                a3.Store(o3 + i);
            }
        }
        return i;
    }

    private static Vector256<byte> Mul256(byte* table, Vector256<byte> low, Vector256<byte> high) =>
        Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(table + LowTable), low)
        ^ Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(table + HighTable), high);

    private static nint Dot128<TRows>(byte** inputs, int columns, byte** outputs, byte* tables, nint start, nint end, bool accumulate)
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        var stride = columns * CodingTables.NibbleBytes;
        byte* t0 = tables, t1 = t0 + stride, t2 = t1 + stride, t3 = t2 + stride;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var nibble = Vector128.Create((byte)0x0F);
        var i = start;
        for (; i + 16 <= end; i += 16)
        {
            Vector128<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = Vector128.Load(inputs[j] + i);
                var low = x & nibble;
                var high = Vector128.ShiftRightLogical(x, 4);
                var t = j * CodingTables.NibbleBytes;
                a0 ^= Mul128(t0 + t, low, high);
                if (n > 1)
                {
                    a1 ^= Mul128(t1 + t, low, high);
                }
                if (n > 2)
                {
                    a2 ^= Mul128(t2 + t, low, high);
                }
                if (n > 3)
                {
                    a3 ^= Mul128(t3 + t, low, high);
                }
            }
            if (accumulate)
            {
                a0 ^= Vector128.Load(o0 + i);
                if (n > 1)
                {
                    a1 ^= Vector128.Load(o1 + i);
                }
                if (n > 2)
                {
                    a2 ^= Vector128.Load(o2 + i);
                }
                if (n > 3)
                {
                    a3 ^= Vector128.Load(o3 + i);
                }
            }
            a0.Store(o0 + i);
            if (n > 1)
            {
                a1.Store(o1 + i);
            }
            if (n > 2)
            {
                a2.Store(o2 + i);
            }
            if (n > 3)
            {
                a3.Store(o3 + i);
            }
        }
        return i;
    }

    // ShuffleNative is pshufb on x64 and tbl on Arm64; the indices are 0-15, where both agree.
    private static Vector128<byte> Mul128(byte* table, Vector128<byte> low, Vector128<byte> high) =>
        Vector128.ShuffleNative(Vector128.Load(table + LowTable), low)
        ^ Vector128.ShuffleNative(Vector128.Load(table + HighTable), high);
}
