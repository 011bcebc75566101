using System.Runtime.InteropServices;

namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// Intel ISA-L's erasure code (Debian package libisal2), when it is installed: loaded at run
/// time so that the benchmark runs without it.
/// </summary>
internal sealed unsafe class IsaL
{
    private readonly delegate* unmanaged[Cdecl]<byte*, int, int, void> _genCauchy1;
    private readonly delegate* unmanaged[Cdecl]<int, int, byte*, byte*, void> _initTables;
    private readonly delegate* unmanaged[Cdecl]<int, int, int, byte*, byte**, byte**, void> _encodeData;

    private IsaL(nint library)
    {
        _genCauchy1 = (delegate* unmanaged[Cdecl]<byte*, int, int, void>)NativeLibrary.GetExport(library, "gf_gen_cauchy1_matrix");
        _initTables = (delegate* unmanaged[Cdecl]<int, int, byte*, byte*, void>)NativeLibrary.GetExport(library, "ec_init_tables");
        _encodeData = (delegate* unmanaged[Cdecl]<int, int, int, byte*, byte**, byte**, void>)NativeLibrary.GetExport(library, "ec_encode_data");
    }

    public const string LibraryName = "libisal.so.2";

    public static IsaL? TryLoad() =>
        NativeLibrary.TryLoad(LibraryName, out var library) ? new IsaL(library) : null;

    /// <summary>ISA-L's (k + m) x k Cauchy generator: identity on top, then 1 / (i ^ j).</summary>
    public byte[] Cauchy1Matrix(int k, int m)
    {
        var matrix = new byte[(k + m) * k];
        fixed (byte* p = matrix)
        {
            _genCauchy1(p, k + m, k);
        }
        return matrix;
    }

    /// <summary>Expands a rows x k coefficient matrix into ISA-L's 32-byte-per-coefficient tables.</summary>
    public byte[] InitTables(int k, int rows, byte[] coefficients)
    {
        var tables = GC.AllocateArray<byte>(k * rows * 32, pinned: true);
        fixed (byte* a = coefficients)
        fixed (byte* t = tables)
        {
            _initTables(k, rows, a, t);
        }
        return tables;
    }

    /// <summary>
    /// outputs = tables x inputs. All arrays must be pinned (the benchmark allocates them on the
    /// pinned object heap), so only the pointer lists are built here.
    /// </summary>
    public void Encode(int length, byte[] tables, byte[][] inputs, byte[][] outputs)
    {
        var ins = stackalloc byte*[inputs.Length];
        var outs = stackalloc byte*[outputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            ins[i] = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(inputs[i], 0);
        }
        for (var i = 0; i < outputs.Length; i++)
        {
            outs[i] = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(outputs[i], 0);
        }
        _encodeData(length, inputs.Length, outputs.Length, (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(tables, 0), ins, outs);
    }
}
