using System.Runtime.CompilerServices;

namespace Pfs.Erasure.Coding;

/// <summary>
/// How a vector kernel writes the accumulators of its up to four output rows
/// (<see cref="RegionCoder.RowsPerPass"/>), adding what the rows held when it accumulates. The
/// row addresses are plain arguments rather than fields of a struct, and the accumulators are
/// passed by reference: the JIT (.NET 10) then keeps all of them in registers without copies,
/// where it left such a struct on the stack and copied accumulators passed by value.
/// </summary>
internal static unsafe class OutputRows
{
    /// <summary>Writes one vector of every row at byte <paramref name="offset"/>; the accumulators past the row count are ignored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write<TOps, TVec, TRows>(
        byte* o0, byte* o1, byte* o2, byte* o3, nint offset, ref TVec a0, ref TVec a1, ref TVec a2, ref TVec a3, bool accumulate)
        where TOps : struct, IByteVector<TVec>
        where TVec : struct
        where TRows : struct, IRowCount
    {
        var n = TRows.Value;
        if (accumulate)
        {
            a0 = TOps.Xor(a0, TOps.Load(o0 + offset));
            if (n > 1)
            {
                a1 = TOps.Xor(a1, TOps.Load(o1 + offset));
            }
            if (n > 2)
            {
                a2 = TOps.Xor(a2, TOps.Load(o2 + offset));
            }
            if (n > 3)
            {
                a3 = TOps.Xor(a3, TOps.Load(o3 + offset));
            }
        }
        TOps.Store(a0, o0 + offset);
        if (n > 1)
        {
            TOps.Store(a1, o1 + offset);
        }
        if (n > 2)
        {
            TOps.Store(a2, o2 + offset);
        }
        if (n > 3)
        {
            TOps.Store(a3, o3 + offset);
        }
    }
}
