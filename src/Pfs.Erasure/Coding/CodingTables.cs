using Pfs.Erasure.Galois;

namespace Pfs.Erasure.Coding;

/// <summary>
/// A rows x columns coefficient matrix with the per-coefficient tables every kernel needs,
/// built once (for the encoder at construction, for a decoder once per erasure pattern).
/// </summary>
internal sealed class CodingTables
{
    public const int NibbleBytes = 32;

    /// <summary>Where the low-nibble table starts in a coefficient's <see cref="NibbleBytes"/>.</summary>
    public const int LowNibbleTable = 0;

    /// <summary>Where the high-nibble table starts in a coefficient's <see cref="NibbleBytes"/>.</summary>
    public const int HighNibbleTable = 16;

    /// <summary>Builds the tables <paramref name="kernel"/> reads; the others stay empty.</summary>
    public CodingTables(ReadOnlySpan<byte> coefficients, int rows, int columns, GfKernel kernel)
    {
        if (coefficients.Length != rows * columns)
        {
            throw new ArgumentException("The coefficient count is not rows x columns.", nameof(coefficients));
        }
        Rows = rows;
        Columns = columns;
        Coefficients = coefficients.ToArray();
        var count = Coefficients.Length;
        var gfni = kernel is GfKernel.Gfni256 or GfKernel.Gfni512;
        var shuffle = kernel is GfKernel.Shuffle128 or GfKernel.Avx2 or GfKernel.Avx512;
        Affine = gfni ? new ulong[count] : [];
        Nibbles = shuffle ? new byte[count * NibbleBytes] : [];
        for (var i = 0; i < count; i++)
        {
            if (gfni)
            {
                Affine[i] = GaloisField.AffineMatrix(Coefficients[i]);
            }
            if (shuffle)
            {
                GaloisField.NibbleTables(Coefficients[i], Nibbles.AsSpan(i * NibbleBytes + LowNibbleTable, 16), Nibbles.AsSpan(i * NibbleBytes + HighNibbleTable, 16));
            }
        }
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row-major: the coefficient of input column j in output row r is [r * Columns + j].</summary>
    public byte[] Coefficients { get; }

    /// <summary>The GF2P8AFFINEQB matrix of each coefficient, same indexing (GFNI kernels only).</summary>
    public ulong[] Affine { get; }

    /// <summary>32 bytes per coefficient: the low-nibble table, then the high-nibble table (shuffle kernels only).</summary>
    public byte[] Nibbles { get; }

    public byte this[int row, int column] => Coefficients[row * Columns + column];
}
