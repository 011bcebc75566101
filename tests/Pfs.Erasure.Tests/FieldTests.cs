using Pfs.Erasure.Galois;
using Pfs.Erasure.Tests.Reference;

namespace Pfs.Erasure.Tests;

public sealed class FieldTests
{
    [Fact]
    public void ProductTableMatchesShiftAndAddMultiplication()
    {
        for (var a = 0; a < 256; a++)
        {
            for (var b = 0; b < 256; b++)
            {
                var expected = ReferenceCodec.Mul((byte)a, (byte)b);
                Assert.Equal(expected, GaloisField.Mul((byte)a, (byte)b));
                Assert.Equal(expected, GaloisField.MulTable[(a << 8) | b]);
            }
        }
    }

    [Fact]
    public void EveryNonZeroElementHasTheInverseFoundBySearch()
    {
        for (var a = 1; a < 256; a++)
        {
            Assert.Equal(ReferenceCodec.Inverse((byte)a), GaloisField.Inverse((byte)a));
        }
        Assert.Throws<DivideByZeroException>(() => GaloisField.Inverse(0));
    }

    [Fact]
    public void NibbleTablesMultiplyEveryByte()
    {
        Span<byte> low = stackalloc byte[16], high = stackalloc byte[16];
        for (var c = 0; c < 256; c++)
        {
            GaloisField.NibbleTables((byte)c, low, high);
            for (var x = 0; x < 256; x++)
            {
                Assert.Equal(ReferenceCodec.Mul((byte)c, (byte)x), low[x & 15] ^ high[x >> 4]);
            }
        }
    }

    [Fact]
    public void AffineMatricesMultiplyEveryByteAsGf2p8affineqbReadsThem()
    {
        for (var c = 0; c < 256; c++)
        {
            var matrix = GaloisField.AffineMatrix((byte)c);
            for (var x = 0; x < 256; x++)
            {
                // Intel's definition: result bit i is the parity of (byte 7 - i of the matrix) AND x.
                var result = 0;
                for (var i = 0; i < 8; i++)
                {
                    var row = (byte)(matrix >> (8 * (7 - i)));
                    result |= (System.Numerics.BitOperations.PopCount((uint)(row & x)) & 1) << i;
                }
                Assert.Equal(ReferenceCodec.Mul((byte)c, (byte)x), result);
            }
        }
    }

    [Fact]
    public void InvertingAnInvertedMatrixGivesTheOriginal()
    {
        for (var n = 1; n <= 12; n++)
        {
            // A Cauchy-derived square matrix is invertible; take the parity matrix of an n+n code.
            var matrix = GfMatrix.Parity(n, n);
            var inverse = GfMatrix.Invert(matrix, n);
            Assert.Equal(matrix, GfMatrix.Invert(inverse, n));
            var product = new byte[n * n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    byte sum = 0;
                    for (var l = 0; l < n; l++)
                    {
                        sum ^= ReferenceCodec.Mul(matrix[i * n + l], inverse[l * n + j]);
                    }
                    product[i * n + j] = sum;
                }
            }
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    Assert.Equal(i == j ? 1 : 0, product[i * n + j]);
                }
            }
        }
    }

    [Fact]
    public void ASingularMatrixIsRefused()
    {
        byte[] singular = [1, 2, 1, 2];
        Assert.Throws<InvalidOperationException>(() => GfMatrix.Invert(singular, 2));
    }
}
