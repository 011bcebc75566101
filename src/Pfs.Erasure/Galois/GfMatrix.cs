namespace Pfs.Erasure.Galois;

/// <summary>Small dense matrices over GF(2^8), row-major in a byte array.</summary>
internal static class GfMatrix
{
    /// <summary>
    /// The M x K parity part of the systematic generator [I; P]. It starts from the Cauchy
    /// matrix 1 / ((K + i) ^ j) (ISA-L's <c>gf_gen_cauchy1_matrix</c> rows), whose square
    /// submatrices are all invertible, so any K of the K + M shards determine the data. Scaling
    /// columns and rows by non-zero constants keeps that property; it is used to make the first
    /// parity row and the first column all ones: parity 0 is the XOR of the data, and with K = 1
    /// every parity shard is a copy of the data shard (plain mirroring).
    /// </summary>
    public static byte[] Parity(int dataShards, int parityShards)
    {
        var k = dataShards;
        var p = new byte[parityShards * k];
        for (var i = 0; i < parityShards; i++)
        {
            for (var j = 0; j < k; j++)
            {
                p[i * k + j] = GaloisField.Inverse((byte)((k + i) ^ j));
            }
        }
        if (parityShards == 0)
        {
            return p;
        }
        for (var j = 0; j < k; j++)
        {
            var scale = GaloisField.Inverse(p[j]);
            for (var i = 0; i < parityShards; i++)
            {
                p[i * k + j] = GaloisField.Mul(p[i * k + j], scale);
            }
        }
        for (var i = 1; i < parityShards; i++)
        {
            var scale = GaloisField.Inverse(p[i * k]);
            for (var j = 0; j < k; j++)
            {
                p[i * k + j] = GaloisField.Mul(p[i * k + j], scale);
            }
        }
        return p;
    }

    /// <summary>Gauss-Jordan inversion of an n x n matrix; throws if it is singular.</summary>
    public static byte[] Invert(ReadOnlySpan<byte> matrix, int n)
    {
        var work = matrix.ToArray();
        var inverse = new byte[n * n];
        for (var i = 0; i < n; i++)
        {
            inverse[i * n + i] = 1;
        }
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            while (pivot < n && work[pivot * n + col] == 0)
            {
                pivot++;
            }
            if (pivot == n)
            {
                throw new InvalidOperationException("The matrix is singular.");
            }
            if (pivot != col)
            {
                SwapRows(work, n, pivot, col);
                SwapRows(inverse, n, pivot, col);
            }
            var scale = GaloisField.Inverse(work[col * n + col]);
            ScaleRow(work, n, col, scale);
            ScaleRow(inverse, n, col, scale);
            for (var row = 0; row < n; row++)
            {
                var factor = work[row * n + col];
                if (row != col && factor != 0)
                {
                    AddScaledRow(work, n, col, row, factor);
                    AddScaledRow(inverse, n, col, row, factor);
                }
            }
        }
        return inverse;
    }

    private static void SwapRows(byte[] m, int n, int a, int b)
    {
        var ra = m.AsSpan(a * n, n);
        var rb = m.AsSpan(b * n, n);
        Span<byte> tmp = stackalloc byte[n];
        ra.CopyTo(tmp);
        rb.CopyTo(ra);
        tmp.CopyTo(rb);
    }

    private static void ScaleRow(byte[] m, int n, int row, byte scale)
    {
        for (var j = 0; j < n; j++)
        {
            m[row * n + j] = GaloisField.Mul(m[row * n + j], scale);
        }
    }

    // m[target] += factor * m[source]
    private static void AddScaledRow(byte[] m, int n, int source, int target, byte factor)
    {
        for (var j = 0; j < n; j++)
        {
            m[target * n + j] ^= GaloisField.Mul(m[source * n + j], factor);
        }
    }
}
