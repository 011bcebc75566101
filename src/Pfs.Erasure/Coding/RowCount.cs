namespace Pfs.Erasure.Coding;

/// <summary>
/// The number of output rows one pass computes, as a type so that the JIT compiles one loop per
/// count with the unused accumulators removed (the branches on <c>Value</c> are constants).
/// </summary>
internal interface IRowCount
{
    static abstract int Value { get; }
}

internal readonly struct OneRow : IRowCount
{
    public static int Value => 1;
}

internal readonly struct TwoRows : IRowCount
{
    public static int Value => 2;
}

internal readonly struct ThreeRows : IRowCount
{
    public static int Value => 3;
}

internal readonly struct FourRows : IRowCount
{
    public static int Value => 4;
}
