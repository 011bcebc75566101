using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pfs.Erasure.Coding;

/// <summary>
/// Table lookups through the 64 KiB product table, one output row at a time, eight results
/// gathered into one 64-bit store. The block loop of <see cref="RegionCoder"/> keeps the output
/// block in L1 while each input is added to it.
/// </summary>
internal static unsafe class ScalarKernel
{
    public static void Dot(
        int rows, byte** inputs, int columns, byte** outputs, byte* coefficients, byte* mulTable,
        nint start, nint end, bool accumulate)
    {
        for (var r = 0; r < rows; r++)
        {
            var output = outputs[r];
            for (var j = 0; j < columns; j++)
            {
                var product = mulTable + (coefficients[r * columns + j] << 8);
                var input = inputs[j];
                var assign = j == 0 && !accumulate;
                var i = start;
                for (; i + 8 <= end; i += 8)
                {
                    var v = product[input[i]]
                        | (ulong)product[input[i + 1]] << 8
                        | (ulong)product[input[i + 2]] << 16
                        | (ulong)product[input[i + 3]] << 24
                        | (ulong)product[input[i + 4]] << 32
                        | (ulong)product[input[i + 5]] << 40
                        | (ulong)product[input[i + 6]] << 48
                        | (ulong)product[input[i + 7]] << 56;
                    if (!BitConverter.IsLittleEndian)
                    {
                        v = BinaryPrimitives.ReverseEndianness(v);
                    }
                    if (!assign)
                    {
                        v ^= Unsafe.ReadUnaligned<ulong>(output + i);
                    }
                    Unsafe.WriteUnaligned(output + i, v);
                }
                for (; i < end; i++)
                {
                    output[i] = assign ? product[input[i]] : (byte)(output[i] ^ product[input[i]]);
                }
            }
        }
    }
}
