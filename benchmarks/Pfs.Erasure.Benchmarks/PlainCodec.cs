using Pfs.Erasure.Galois;

namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// The baseline: the textbook loop, one table lookup per byte and coefficient through the
/// 64 KiB product table, output row by output row.
/// </summary>
internal static class PlainCodec
{
    /// <summary>outputs[r] = the sum over j of coefficients[r * inputs.Length + j] * inputs[j].</summary>
    public static void Apply(byte[] coefficients, byte[][] inputs, byte[][] outputs)
    {
        var table = GaloisField.MulTable;
        var columns = inputs.Length;
        for (var r = 0; r < outputs.Length; r++)
        {
            var output = outputs[r];
            Array.Clear(output);
            for (var j = 0; j < columns; j++)
            {
                var product = table.AsSpan(coefficients[r * columns + j] << 8, 256);
                var input = inputs[j];
                for (var i = 0; i < output.Length; i++)
                {
                    output[i] ^= product[input[i]];
                }
            }
        }
    }
}
