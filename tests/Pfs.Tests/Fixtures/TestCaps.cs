using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Tests.Fixtures;

/// <summary>Capabilities signed with a fixed test key, for tests that call a file server directly.</summary>
public static class TestCaps
{
    public static readonly string Key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static readonly CapabilitySigner Signer = new(Convert.FromBase64String(Key));

    public static Capability Write(ObjectId? id, ulong epoch = 1) => Signer.Sign(id?.Name ?? string.Empty, id?.Generation ?? 0, write: true, epoch, "tests");

    public static Capability Read(ObjectId? id) => Signer.Sign(id?.Name ?? string.Empty, id?.Generation ?? 0, write: false, 0, "tests");
}
