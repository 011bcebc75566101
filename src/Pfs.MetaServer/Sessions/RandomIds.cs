using System.Security.Cryptography;

namespace Pfs.MetaServer.Sessions;

/// <summary>Random nonzero 64-bit ids, so an id from before a restart never names something new.</summary>
internal static class RandomIds
{
    public static ulong NewNonZero()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        }
        while (id == 0);

        return id;
    }
}
