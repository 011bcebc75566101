namespace Pfs.Erasure.Galois;

/// <summary>
/// GF(2^8) with the field polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator 2, the
/// representation ISA-L, Jerasure and klauspost/reedsolomon use, so parity can be checked
/// against ISA-L byte for byte. (GFNI's <c>GaloisFieldMultiply</c> is fixed to 0x11B; the GFNI
/// kernels use the affine transform instead, which works for any polynomial.)
/// </summary>
internal static class GaloisField
{
    public const int Polynomial = 0x11D;

    private static readonly byte[] Exp = BuildExp();
    private static readonly byte[] Log = BuildLog(Exp);

    /// <summary>MulTable[a * 256 + b] = a * b: the 64 KiB table of the scalar kernel.</summary>
    internal static readonly byte[] MulTable = BuildMulTable();

    public static byte Mul(byte a, byte b) =>
        a == 0 || b == 0 ? (byte)0 : Exp[Log[a] + Log[b]];

    public static byte Inverse(byte a)
    {
        if (a == 0)
        {
            throw new DivideByZeroException("0 has no inverse in GF(2^8).");
        }
        return Exp[255 - Log[a]];
    }

    public static byte Div(byte a, byte b) => Mul(a, Inverse(b));

    /// <summary>
    /// The 8x8 bit matrix of "multiply by c" in the layout of GF2P8AFFINEQB: byte 7 - i of the
    /// qword is the row that yields output bit i, and bit k of that row is bit i of c * 2^k.
    /// </summary>
    public static ulong AffineMatrix(byte c)
    {
        Span<byte> basis = stackalloc byte[8];
        Basis(c, basis);
        ulong matrix = 0;
        for (var i = 0; i < 8; i++)
        {
            var row = 0;
            for (var k = 0; k < 8; k++)
            {
                row |= ((basis[k] >> i) & 1) << k;
            }
            matrix |= (ulong)row << (8 * (7 - i));
        }
        return matrix;
    }

    /// <summary>
    /// The two 16-entry tables of the split-nibble multiply: c * x = low[x &amp; 15] ^ high[x &gt;&gt; 4].
    /// </summary>
    public static void NibbleTables(byte c, Span<byte> low, Span<byte> high)
    {
        Span<byte> basis = stackalloc byte[8];
        Basis(c, basis);
        low[0] = high[0] = 0;
        for (var n = 1; n < 16; n++)
        {
            // Multiplication is linear: c * n is the XOR of c * 2^k over the bits k of n.
            var lowest = System.Numerics.BitOperations.TrailingZeroCount(n);
            low[n] = (byte)(low[n & (n - 1)] ^ basis[lowest]);
            high[n] = (byte)(high[n & (n - 1)] ^ basis[lowest + 4]);
        }
    }

    /// <summary>basis[k] = c * 2^k, by doubling (a shift, reduced by the polynomial).</summary>
    private static void Basis(byte c, Span<byte> basis)
    {
        int x = c;
        for (var k = 0; k < 8; k++)
        {
            basis[k] = (byte)x;
            x <<= 1;
            if (x >= 256)
            {
                x ^= Polynomial;
            }
        }
    }

    private static byte[] BuildExp()
    {
        // Doubled so Mul can index Log[a] + Log[b] (at most 508) without a modulo.
        var exp = new byte[512];
        var x = 1;
        for (var i = 0; i < 255; i++)
        {
            exp[i] = (byte)x;
            x <<= 1;
            if (x >= 256)
            {
                x ^= Polynomial;
            }
        }
        for (var i = 255; i < exp.Length; i++)
        {
            exp[i] = exp[i - 255];
        }
        return exp;
    }

    private static byte[] BuildLog(byte[] exp)
    {
        var log = new byte[256];
        for (var i = 0; i < 255; i++)
        {
            log[exp[i]] = (byte)i;
        }
        return log;
    }

    private static byte[] BuildMulTable()
    {
        var table = new byte[256 * 256];
        for (var a = 1; a < 256; a++)
        {
            for (var b = 1; b < 256; b++)
            {
                table[(a << 8) | b] = Mul((byte)a, (byte)b);
            }
        }
        return table;
    }
}
