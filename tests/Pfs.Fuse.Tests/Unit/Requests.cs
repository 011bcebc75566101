using System.Runtime.InteropServices;
using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>Builds requests byte for byte as the kernel lays them out: fuse_in_header, the argument struct, NUL-terminated names.</summary>
internal static class Requests
{
    public const uint Uid = 1000;
    public const uint Gid = 100;
    public const uint Pid = 4242;

    public static byte[] Build(FuseOpcode opcode, ulong unique, ulong nodeId, params byte[][] parts)
    {
        var payloadLength = parts.Sum(p => p.Length);
        var bytes = new byte[InHeader.WireSize + payloadLength];
        var header = new InHeader
        {
            Len = (uint)bytes.Length,
            Opcode = (uint)opcode,
            Unique = unique,
            NodeId = nodeId,
            Uid = Uid,
            Gid = Gid,
            Pid = Pid,
        };
        MemoryMarshal.Write(bytes, in header);
        var offset = InHeader.WireSize;
        foreach (var part in parts)
        {
            part.CopyTo(bytes, offset);
            offset += part.Length;
        }
        return bytes;
    }

    public static byte[] Struct<T>(T value)
        where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    public static byte[] Name(string name) => [.. Encoding.UTF8.GetBytes(name), 0];

    /// <summary>The INIT a Linux 6.18 kernel sends: 7.45 with FUSE_INIT_EXT and most capabilities offered.</summary>
    public static byte[] Init(ulong unique = 1, uint minor = 45, uint major = 7, FuseInitFlags offered = KernelOffers, uint maxReadahead = 128 * 1024)
    {
        var init = new InitIn
        {
            Major = major,
            Minor = minor,
            MaxReadahead = maxReadahead,
            Flags = (uint)((ulong)offered & uint.MaxValue),
            Flags2 = (uint)((ulong)offered >> 32),
        };
        return Build(FuseOpcode.Init, unique, 0, Struct(init));
    }

    public const FuseInitFlags KernelOffers =
        FuseInitFlags.AsyncRead | FuseInitFlags.PosixLocks | FuseInitFlags.AtomicOTrunc | FuseInitFlags.ExportSupport
        | FuseInitFlags.BigWrites | FuseInitFlags.DontMask | FuseInitFlags.FlockLocks | FuseInitFlags.AutoInvalData
        | FuseInitFlags.DoReadDirPlus | FuseInitFlags.ReadDirPlusAuto | FuseInitFlags.AsyncDio | FuseInitFlags.WritebackCache
        | FuseInitFlags.NoOpenSupport | FuseInitFlags.ParallelDirOps | FuseInitFlags.MaxPages | FuseInitFlags.CacheSymlinks
        | FuseInitFlags.ExplicitInvalData | FuseInitFlags.InitExt | FuseInitFlags.HasExpireOnly | FuseInitFlags.DirectIoAllowMmap;
}
