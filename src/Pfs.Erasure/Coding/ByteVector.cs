using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pfs.Erasure.Coding;

/// <summary>
/// One vector width for the kernels: <typeparamref name="TVec"/> is <see cref="Vector128{T}"/>,
/// <see cref="Vector256{T}"/> or <see cref="Vector512{T}"/> of bytes, and the struct that
/// implements this carries its operations. A kernel written once over a width struct is compiled
/// by the JIT once per struct, with every call inlined, into the loop a hand-written kernel for
/// that width would be (the same trick as <see cref="IRowCount"/>).
/// </summary>
internal unsafe interface IByteVector<TVec>
    where TVec : struct
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Count { get; }

    static abstract TVec Load(byte* source);

    static abstract void Store(TVec value, byte* destination);

    /// <summary>Every byte set to <paramref name="value"/>.</summary>
    static abstract TVec Create(byte value);

    static abstract TVec Xor(TVec left, TVec right);
}

/// <summary>The GF2P8AFFINEQB multiply of <see cref="GfniKernels"/>.</summary>
internal interface IGfniVector<TVec> : IByteVector<TVec>
    where TVec : struct
{
    /// <summary>An 8x8 bit matrix broadcast to every 8 bytes of a vector.</summary>
    static abstract TVec Matrix(ulong matrix);

    /// <summary>Every byte of <paramref name="value"/> times the constant of <paramref name="matrix"/>.</summary>
    static abstract TVec Multiply(TVec value, TVec matrix);
}

/// <summary>The split-nibble table multiply of <see cref="ShuffleKernels"/>.</summary>
internal unsafe interface IShuffleVector<TVec> : IByteVector<TVec>
    where TVec : struct
{
    static abstract TVec And(TVec left, TVec right);

    /// <summary>Every byte shifted right by <paramref name="count"/> bits, zeros shifted in.</summary>
    static abstract TVec ShiftRightLogical(TVec value, int count);

    /// <summary>
    /// <paramref name="accumulator"/> ^ c * x, with the low and high nibbles of x and the two
    /// 16-byte tables of c at <paramref name="table"/> (<see cref="CodingTables.NibbleBytes"/>).
    /// </summary>
    static abstract TVec MultiplyAdd(TVec accumulator, byte* table, TVec low, TVec high);
}

internal readonly unsafe struct Bytes128 : IShuffleVector<Vector128<byte>>
{
    public static int Count => Vector128<byte>.Count;

    public static Vector128<byte> Load(byte* source) => Vector128.Load(source);

    public static void Store(Vector128<byte> value, byte* destination) => value.Store(destination);

    public static Vector128<byte> Create(byte value) => Vector128.Create(value);

    public static Vector128<byte> Xor(Vector128<byte> left, Vector128<byte> right) => left ^ right;

    public static Vector128<byte> And(Vector128<byte> left, Vector128<byte> right) => left & right;

    public static Vector128<byte> ShiftRightLogical(Vector128<byte> value, int count) => Vector128.ShiftRightLogical(value, count);

    // ShuffleNative is pshufb on x64 and tbl on Arm64; the indices are 0-15, where both agree.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> MultiplyAdd(Vector128<byte> accumulator, byte* table, Vector128<byte> low, Vector128<byte> high) =>
        accumulator
        ^ (Vector128.ShuffleNative(Vector128.Load(table + CodingTables.LowNibbleTable), low)
            ^ Vector128.ShuffleNative(Vector128.Load(table + CodingTables.HighNibbleTable), high));
}

internal readonly unsafe struct Bytes256 : IGfniVector<Vector256<byte>>, IShuffleVector<Vector256<byte>>
{
    public static int Count => Vector256<byte>.Count;

    public static Vector256<byte> Load(byte* source) => Vector256.Load(source);

    public static void Store(Vector256<byte> value, byte* destination) => value.Store(destination);

    public static Vector256<byte> Create(byte value) => Vector256.Create(value);

    public static Vector256<byte> Xor(Vector256<byte> left, Vector256<byte> right) => left ^ right;

    public static Vector256<byte> Matrix(ulong matrix) => Vector256.Create(matrix).AsByte();

    public static Vector256<byte> Multiply(Vector256<byte> value, Vector256<byte> matrix) =>
        Gfni.V256.GaloisFieldAffineTransform(value, matrix, 0);

    public static Vector256<byte> And(Vector256<byte> left, Vector256<byte> right) => left & right;

    public static Vector256<byte> ShiftRightLogical(Vector256<byte> value, int count) => Vector256.ShiftRightLogical(value, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> MultiplyAdd(Vector256<byte> accumulator, byte* table, Vector256<byte> low, Vector256<byte> high) =>
        accumulator
        ^ (Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(table + CodingTables.LowNibbleTable), low)
            ^ Avx2.Shuffle(Avx2.BroadcastVector128ToVector256(table + CodingTables.HighNibbleTable), high));
}

internal readonly unsafe struct Bytes512 : IGfniVector<Vector512<byte>>, IShuffleVector<Vector512<byte>>
{
    public static int Count => Vector512<byte>.Count;

    public static Vector512<byte> Load(byte* source) => Vector512.Load(source);

    public static void Store(Vector512<byte> value, byte* destination) => value.Store(destination);

    public static Vector512<byte> Create(byte value) => Vector512.Create(value);

    public static Vector512<byte> Xor(Vector512<byte> left, Vector512<byte> right) => left ^ right;

    public static Vector512<byte> Matrix(ulong matrix) => Vector512.Create(matrix).AsByte();

    public static Vector512<byte> Multiply(Vector512<byte> value, Vector512<byte> matrix) =>
        Gfni.V512.GaloisFieldAffineTransform(value, matrix, 0);

    public static Vector512<byte> And(Vector512<byte> left, Vector512<byte> right) => left & right;

    public static Vector512<byte> ShiftRightLogical(Vector512<byte> value, int count) => Vector512.ShiftRightLogical(value, count);

    // accumulator ^ low-table[low] ^ high-table[high] in one vpternlog (0x96 = three-way XOR).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> MultiplyAdd(Vector512<byte> accumulator, byte* table, Vector512<byte> low, Vector512<byte> high) =>
        Avx512F.TernaryLogic(
            accumulator,
            Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512((int*)(table + CodingTables.LowNibbleTable)).AsByte(), low),
            Avx512BW.Shuffle(Avx512F.BroadcastVector128ToVector512((int*)(table + CodingTables.HighNibbleTable)).AsByte(), high),
            0x96);
}
