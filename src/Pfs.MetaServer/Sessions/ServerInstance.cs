using System.Security.Cryptography;

namespace Pfs.MetaServer.Sessions;

/// <summary>Names this run of the metadata server, so clients can tell a restart (which loses every open) from a dropped stream.</summary>
internal sealed class ServerInstance
{
    public ulong Id { get; } = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) | 1;
}
