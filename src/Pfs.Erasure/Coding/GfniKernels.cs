using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pfs.Erasure.Coding;

/// <summary>
/// GF2P8AFFINEQB multiplies every byte of a vector by a constant given as its 8x8 bit matrix
/// (<see cref="Galois.GaloisField.AffineMatrix"/>), broadcast from 8 bytes: one instruction and
/// one XOR per constant and vector. The affine form works for our 0x11D field, where GF2P8MULB
/// (fixed to 0x11B) would not. The main loops take two vectors of every input per step (two
/// independent accumulator sets, half the loop and pointer overhead): about 25% faster than one
/// in the benchmark; one vector at a time then finishes the region.
/// </summary>
internal static unsafe class GfniKernels
{
    public static nint Dot512(int rows, byte** inputs, int columns, byte** outputs, ulong* matrices, nint start, nint end, bool accumulate) => rows switch
    {
        1 => Dot512<OneRow>(inputs, columns, outputs, matrices, start, end, accumulate),
        2 => Dot512<TwoRows>(inputs, columns, outputs, matrices, start, end, accumulate),
        3 => Dot512<ThreeRows>(inputs, columns, outputs, matrices, start, end, accumulate),
        _ => Dot512<FourRows>(inputs, columns, outputs, matrices, start, end, accumulate),
    };

    public static nint Dot256(int rows, byte** inputs, int columns, byte** outputs, ulong* matrices, nint start, nint end, bool accumulate) => rows switch
    {
        1 => Dot256<OneRow>(inputs, columns, outputs, matrices, start, end, accumulate),
        2 => Dot256<TwoRows>(inputs, columns, outputs, matrices, start, end, accumulate),
        3 => Dot256<ThreeRows>(inputs, columns, outputs, matrices, start, end, accumulate),
        _ => Dot256<FourRows>(inputs, columns, outputs, matrices, start, end, accumulate),
    };

    private static nint Dot512<TRows>(byte** inputs, int columns, byte** outputs, ulong* matrices, nint start, nint end, bool accumulate)
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        ulong* m0 = matrices, m1 = m0 + columns, m2 = m1 + columns, m3 = m2 + columns;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var i = start;
        for (; i + 128 <= end; i += 128)
        {
            Vector512<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<byte> b0 = default, b1 = default, b2 = default, b3 = default;
            for (var j = 0; j < columns; j++)
            {
                var p = inputs[j] + i;
                var x = Vector512.Load(p);
                var y = Vector512.Load(p + 64);
                var m = Vector512.Create(m0[j]).AsByte();
                a0 ^= Gfni.V512.GaloisFieldAffineTransform(x, m, 0);
                b0 ^= Gfni.V512.GaloisFieldAffineTransform(y, m, 0);
                if (n > 1)
                {
                    m = Vector512.Create(m1[j]).AsByte();
                    a1 ^= Gfni.V512.GaloisFieldAffineTransform(x, m, 0);
                    b1 ^= Gfni.V512.GaloisFieldAffineTransform(y, m, 0);
                }
                if (n > 2)
                {
                    m = Vector512.Create(m2[j]).AsByte();
                    a2 ^= Gfni.V512.GaloisFieldAffineTransform(x, m, 0);
                    b2 ^= Gfni.V512.GaloisFieldAffineTransform(y, m, 0);
                }
                if (n > 3)
                {
                    m = Vector512.Create(m3[j]).AsByte();
                    a3 ^= Gfni.V512.GaloisFieldAffineTransform(x, m, 0);
                    b3 ^= Gfni.V512.GaloisFieldAffineTransform(y, m, 0);
                }
            }
            if (accumulate)
            {
                a0 ^= Vector512.Load(o0 + i);
                b0 ^= Vector512.Load(o0 + i + 64);
                if (n > 1)
                {
                    a1 ^= Vector512.Load(o1 + i);
                    b1 ^= Vector512.Load(o1 + i + 64);
                }
                if (n > 2)
                {
                    a2 ^= Vector512.Load(o2 + i);
                    b2 ^= Vector512.Load(o2 + i + 64);
                }
                if (n > 3)
                {
                    a3 ^= Vector512.Load(o3 + i);
                    b3 ^= Vector512.Load(o3 + i + 64);
                }
            }
            a0.Store(o0 + i);
            b0.Store(o0 + i + 64);
            if (n > 1)
            {
                a1.Store(o1 + i);
                b1.Store(o1 + i + 64);
            }
            if (n > 2)
            {
                a2.Store(o2 + i);
                b2.Store(o2 + i + 64);
            }
            if (n > 3)
            {
                a3.Store(o3 + i);
                b3.Store(o3 + i + 64);
            }
        }
        for (; i + 64 <= end; i += 64)
        {
            Vector512<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = Vector512.Load(inputs[j] + i);
                a0 ^= Gfni.V512.GaloisFieldAffineTransform(x, Vector512.Create(m0[j]).AsByte(), 0);
                if (n > 1)
                {
                    a1 ^= Gfni.V512.GaloisFieldAffineTransform(x, Vector512.Create(m1[j]).AsByte(), 0);
                }
                if (n > 2)
                {
                    a2 ^= Gfni.V512.GaloisFieldAffineTransform(x, Vector512.Create(m2[j]).AsByte(), 0);
                }
                if (n > 3)
                {
                    a3 ^= Gfni.V512.GaloisFieldAffineTransform(x, Vector512.Create(m3[j]).AsByte(), 0);
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

    private static nint Dot256<TRows>(byte** inputs, int columns, byte** outputs, ulong* matrices, nint start, nint end, bool accumulate)
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        ulong* m0 = matrices, m1 = m0 + columns, m2 = m1 + columns, m3 = m2 + columns;
        byte* o0 = outputs[0], o1 = n > 1 ? outputs[1] : null, o2 = n > 2 ? outputs[2] : null, o3 = n > 3 ? outputs[3] : null;
        var i = start;
        for (; i + 64 <= end; i += 64)
        {
            Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<byte> b0 = default, b1 = default, b2 = default, b3 = default;
            for (var j = 0; j < columns; j++)
            {
                var p = inputs[j] + i;
                var x = Vector256.Load(p);
                var y = Vector256.Load(p + 32);
                var m = Vector256.Create(m0[j]).AsByte();
                a0 ^= Gfni.V256.GaloisFieldAffineTransform(x, m, 0);
                b0 ^= Gfni.V256.GaloisFieldAffineTransform(y, m, 0);
                if (n > 1)
                {
                    m = Vector256.Create(m1[j]).AsByte();
                    a1 ^= Gfni.V256.GaloisFieldAffineTransform(x, m, 0);
                    b1 ^= Gfni.V256.GaloisFieldAffineTransform(y, m, 0);
                }
                if (n > 2)
                {
                    m = Vector256.Create(m2[j]).AsByte();
                    a2 ^= Gfni.V256.GaloisFieldAffineTransform(x, m, 0);
                    b2 ^= Gfni.V256.GaloisFieldAffineTransform(y, m, 0);
                }
                if (n > 3)
                {
                    m = Vector256.Create(m3[j]).AsByte();
                    a3 ^= Gfni.V256.GaloisFieldAffineTransform(x, m, 0);
                    b3 ^= Gfni.V256.GaloisFieldAffineTransform(y, m, 0);
                }
            }
            if (accumulate)
            {
                a0 ^= Vector256.Load(o0 + i);
                b0 ^= Vector256.Load(o0 + i + 32);
                if (n > 1)
                {
                    a1 ^= Vector256.Load(o1 + i);
                    b1 ^= Vector256.Load(o1 + i + 32);
                }
                if (n > 2)
                {
                    a2 ^= Vector256.Load(o2 + i);
                    b2 ^= Vector256.Load(o2 + i + 32);
                }
                if (n > 3)
                {
                    a3 ^= Vector256.Load(o3 + i);
                    b3 ^= Vector256.Load(o3 + i + 32);
                }
            }
            a0.Store(o0 + i);
            b0.Store(o0 + i + 32);
            if (n > 1)
            {
                a1.Store(o1 + i);
                b1.Store(o1 + i + 32);
            }
            if (n > 2)
            {
                a2.Store(o2 + i);
                b2.Store(o2 + i + 32);
            }
            if (n > 3)
            {
                a3.Store(o3 + i);
                b3.Store(o3 + i + 32);
            }
        }
        for (; i + 32 <= end; i += 32)
        {
            Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
            for (var j = 0; j < columns; j++)
            {
                var x = Vector256.Load(inputs[j] + i);
                a0 ^= Gfni.V256.GaloisFieldAffineTransform(x, Vector256.Create(m0[j]).AsByte(), 0);
                if (n > 1)
                {
                    a1 ^= Gfni.V256.GaloisFieldAffineTransform(x, Vector256.Create(m1[j]).AsByte(), 0);
                }
                if (n > 2)
                {
                    a2 ^= Gfni.V256.GaloisFieldAffineTransform(x, Vector256.Create(m2[j]).AsByte(), 0);
                }
                if (n > 3)
                {
                    a3 ^= Gfni.V256.GaloisFieldAffineTransform(x, Vector256.Create(m3[j]).AsByte(), 0);
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
}
