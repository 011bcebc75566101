using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Tests.Fixtures;

/// <summary>Capabilities signed with a fixed test key, for tests that call a file server directly.</summary>
public static class TestCaps
{
    public static readonly string Key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static readonly CapabilitySigner Signer = new(Convert.FromBase64String(Key));

    public static Capability Write(ObjectId? id, ulong epoch = 1) => Signer.Sign(id?.Name ?? string.Empty, id?.Generation ?? 0, write: true, epoch, "tests");

    /// <summary>
    /// A read capability granted after the writers of <paramref name="committed"/> (default: epoch 1, the
    /// default of <see cref="Write"/>) closed, so their staged bytes are applied when it is used.
    /// </summary>
    public static Capability Read(ObjectId? id, params ulong[] committed) =>
        Signer.Sign(id?.Name ?? string.Empty, id?.Generation ?? 0, write: false, ReaderEpoch, "tests", committed.Length == 0 ? [1] : committed);

    /// <summary>The metadata server's capability to commit writer <paramref name="epoch"/>'s staged bytes.</summary>
    public static Capability Commit(ObjectId? id, ulong epoch = 1) => Signer.SignCommit(id?.Name ?? string.Empty, id?.Generation ?? 0, epoch, "tests");

    // Later than any writer epoch the tests use.
    private const ulong ReaderEpoch = 1UL << 62;
}
