namespace Pfs.Erasure.Tests.Reference;

/// <summary>
/// Reed-Solomon the textbook way, deliberately simple and slow, to check the codec against:
/// shift-and-add multiplication reduced by the field polynomial, inverses by search, and the
/// parity matrix built straight from its definition (the Cauchy matrix 1 / (x_i + y_j) with
/// x_i = K + i and y_j = j, columns scaled so parity row 0 is all ones, then rows scaled so
/// column 0 is all ones). It shares no code with the codec.
/// </summary>
internal static class ReferenceCodec
{
    public const int Polynomial = 0x11D; // x^8 + x^4 + x^3 + x^2 + 1

    public static byte Mul(byte a, byte b)
    {
        int product = 0, x = a, y = b;
        while (y != 0)
        {
            if ((y & 1) != 0)
            {
                product ^= x;
            }
            x <<= 1;
            if ((x & 0x100) != 0)
            {
                x ^= Polynomial;
            }
            y >>= 1;
        }
        return (byte)product;
    }

    public static byte Inverse(byte a)
    {
        for (var b = 1; b < 256; b++)
        {
            if (Mul(a, (byte)b) == 1)
            {
                return (byte)b;
            }
        }
        throw new DivideByZeroException();
    }

    /// <summary>P[i, j]: the coefficient of data shard j in parity shard i.</summary>
    public static byte[,] ParityMatrix(int k, int m)
    {
        var p = new byte[m, k];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < k; j++)
            {
                p[i, j] = Inverse((byte)((k + i) ^ j)); // in GF(2^8), x + y is x ^ y
            }
        }
        for (var j = 0; j < k && m > 0; j++)
        {
            var scale = Inverse(p[0, j]);
            for (var i = 0; i < m; i++)
            {
                p[i, j] = Mul(p[i, j], scale);
            }
        }
        for (var i = 0; i < m; i++)
        {
            var scale = Inverse(p[i, 0]);
            for (var j = 0; j < k; j++)
            {
                p[i, j] = Mul(p[i, j], scale);
            }
        }
        return p;
    }

    public static byte[][] Encode(byte[][] data, int m)
    {
        var k = data.Length;
        var length = data[0].Length;
        var p = ParityMatrix(k, m);
        var parity = new byte[m][];
        var times = new byte[256]; // times[x] = p[i, j] * x, so a megabyte costs 256 multiplications
        for (var i = 0; i < m; i++)
        {
            parity[i] = new byte[length];
            for (var j = 0; j < k; j++)
            {
                for (var x = 0; x < 256; x++)
                {
                    times[x] = Mul(p[i, j], (byte)x);
                }
                for (var b = 0; b < length; b++)
                {
                    parity[i][b] ^= times[data[j][b]];
                }
            }
        }
        return parity;
    }
}
