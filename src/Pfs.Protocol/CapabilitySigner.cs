using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Pfs.Protocol.FileServer;

namespace Pfs.Protocol;

/// <summary>
/// Signs and checks capabilities with the cluster key: HMAC-SHA256 over a fixed encoding of
/// every field but the mac. The metadata server signs when it grants a lock; file servers check
/// on every call, so only a lock holder can touch a file's bytes, and only in its lock's mode.
/// </summary>
public sealed class CapabilitySigner
{
    /// <summary>Shortest cluster key accepted: 256 bits.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>Most committed-but-unapplied epochs one capability may name (the metadata server keeps far fewer).</summary>
    public const int MaxCommitted = 256;

    private const int MacBytes = 32;
    private static readonly byte[] Domain = "pfs-capability-v3\0"u8.ToArray();
    private readonly byte[] _key;

    public CapabilitySigner(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinKeyBytes)
        {
            throw new ArgumentException($"the cluster key must be at least {MinKeyBytes} bytes, not {key.Length}", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>
    /// How long the capabilities this signer makes stay valid; null (the default) makes ones that
    /// never expire, which only tests' own signers do. Servers set it from <c>Pfs:CapabilitySeconds</c>.
    /// </summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>The clock that sets and checks expiry.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A new capability for one generation of a file.</summary>
    /// <param name="name">The file's object name.</param>
    /// <param name="generation">The file's generation (its inode).</param>
    /// <param name="write">Whether it allows writes as well as reads.</param>
    /// <param name="epoch">The writer's epoch (0 for a reader).</param>
    /// <param name="clientId">The client it is for.</param>
    /// <param name="committed">Writer epochs of the file that committed but may not be applied everywhere yet.</param>
    public Capability Sign(string name, ulong generation, bool write, ulong epoch, string clientId, IEnumerable<ulong>? committed = null)
    {
        var capability = new Capability { Name = name, Generation = generation, Write = write, Epoch = epoch, ClientId = clientId, ExpiresUnixMs = ExpiresAt() };
        if (committed is not null)
        {
            capability.Committed.AddRange(committed);
        }

        capability.Mac = UnsafeByteOperations.UnsafeWrap(ComputeMac(capability));
        return capability;
    }

    /// <summary>The metadata server's own capability to commit what writer <paramref name="epoch"/> staged in a file.</summary>
    public Capability SignCommit(string name, ulong generation, ulong epoch, string signerId)
    {
        var capability = new Capability { Name = name, Generation = generation, Epoch = epoch, ClientId = signerId, Commit = true, ExpiresUnixMs = ExpiresAt() };
        capability.Mac = UnsafeByteOperations.UnsafeWrap(ComputeMac(capability));
        return capability;
    }

    /// <summary>True if <paramref name="capability"/> was signed with this key, is unchanged, and has not expired.</summary>
    public bool Verify(Capability? capability)
    {
        if (capability is null || capability.Mac.Length != MacBytes || capability.Committed.Count > MaxCommitted)
        {
            return false;
        }

        if (capability.ExpiresUnixMs != 0 && capability.ExpiresUnixMs <= Time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(ComputeMac(capability), capability.Mac.Span);
    }

    /// <summary>
    /// A key for another use of the cluster key (session tokens, admin proofs), so that no MAC made
    /// for one purpose is ever valid for another.
    /// </summary>
    public byte[] DeriveKey(string purpose) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("pfs-derived-key-v1\0" + purpose));

    /// <summary>Decodes a base64 cluster key, with a message fit for a start-up error.</summary>
    public static byte[] ParseKey(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("the cluster key is not valid base64");
        }

        return key.Length >= MinKeyBytes
            ? key
            : throw new FormatException($"the cluster key must decode to at least {MinKeyBytes} bytes, not {key.Length}");
    }

    /// <summary>A fresh random key, base64-encoded.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(MinKeyBytes));

    private long ExpiresAt() => Lifetime is { } lifetime ? (Time.GetUtcNow() + lifetime).ToUnixTimeMilliseconds() : 0;

    private byte[] ComputeMac(Capability capability)
    {
        var name = Encoding.UTF8.GetBytes(capability.Name);
        var client = Encoding.UTF8.GetBytes(capability.ClientId);
        var committed = capability.Committed;
        var length = Domain.Length + 4 + name.Length + 8 + 1 + 8 + 4 + client.Length + 4 + (8 * committed.Count) + 1 + 8;
        var buffer = length <= 2048 ? stackalloc byte[length] : new byte[length];
        var at = 0;
        Domain.CopyTo(buffer);
        at += Domain.Length;
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], name.Length);
        at += 4;
        name.CopyTo(buffer[at..]);
        at += name.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], capability.Generation);
        at += 8;
        buffer[at++] = capability.Write ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], capability.Epoch);
        at += 8;
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], client.Length);
        at += 4;
        client.CopyTo(buffer[at..]);
        at += client.Length;
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], committed.Count);
        at += 4;
        foreach (var epoch in committed)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[at..], epoch);
            at += 8;
        }

        buffer[at++] = capability.Commit ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64LittleEndian(buffer[at..], capability.ExpiresUnixMs);
        return HMACSHA256.HashData(_key, buffer);
    }
}
