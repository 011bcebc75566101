using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Pfs.Erasure.Coding;

/// <summary>
/// How a region is multiplied by a GF(2^8) constant and accumulated. The codec picks the best
/// one the machine has; tests and benchmarks force each one through the internal constructor.
/// </summary>
internal enum GfKernel
{
    /// <summary>The 64 KiB product table, eight bytes gathered per store: any machine.</summary>
    Scalar,

    /// <summary>Split-nibble tables with a 128-bit byte shuffle (SSSE3 pshufb, Arm64 tbl).</summary>
    Shuffle128,

    /// <summary>Split-nibble tables with AVX2 vpshufb, 32 bytes per step.</summary>
    Avx2,

    /// <summary>Split-nibble tables with AVX-512BW vpshufb and vpternlog, 64 bytes per step.</summary>
    Avx512,

    /// <summary>GFNI affine transform (an 8x8 bit matrix per constant), 32 bytes per step.</summary>
    Gfni256,

    /// <summary>GFNI affine transform, 64 bytes per step.</summary>
    Gfni512,
}

internal static class GfKernels
{
    /// <summary>Every kernel, in the order the benchmark prints them.</summary>
    public static IReadOnlyList<GfKernel> All { get; } = Enum.GetValues<GfKernel>();

    public static IReadOnlyList<GfKernel> Supported { get; } = All.Where(IsSupported).ToArray();

    /// <summary>
    /// The fastest supported kernel: GFNI needs one instruction per constant and vector, the
    /// shuffle kernels five. 512-bit kernels only where the runtime says wide vectors pay
    /// (<see cref="Vector512.IsHardwareAccelerated"/> is false on parts that downclock for them).
    /// </summary>
    public static GfKernel Best { get; } = ChooseBest();

    public static bool IsSupported(GfKernel kernel) => kernel switch
    {
        GfKernel.Scalar => true,
        GfKernel.Shuffle128 => Vector128.IsHardwareAccelerated && (Ssse3.IsSupported || AdvSimd.Arm64.IsSupported),
        GfKernel.Avx2 => Avx2.IsSupported,
        GfKernel.Avx512 => Avx512BW.IsSupported,
        GfKernel.Gfni256 => Gfni.V256.IsSupported,
        GfKernel.Gfni512 => Gfni.V512.IsSupported,
        _ => false,
    };

    public static string Name(GfKernel kernel) => kernel switch
    {
        GfKernel.Scalar => "scalar",
        GfKernel.Shuffle128 => "128-bit",
        GfKernel.Avx2 => "AVX2",
        GfKernel.Avx512 => "AVX-512",
        GfKernel.Gfni256 => "GFNI-256",
        GfKernel.Gfni512 => "GFNI-512",
        _ => kernel.ToString(),
    };

    private static GfKernel ChooseBest()
    {
        var wide = Vector512.IsHardwareAccelerated;
        GfKernel[] preference = wide
            ? [GfKernel.Gfni512, GfKernel.Avx512, GfKernel.Gfni256, GfKernel.Avx2, GfKernel.Shuffle128]
            : [GfKernel.Gfni256, GfKernel.Avx2, GfKernel.Shuffle128];
        foreach (var kernel in preference)
        {
            if (IsSupported(kernel))
            {
                return kernel;
            }
        }
        return GfKernel.Scalar;
    }
}
