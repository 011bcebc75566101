using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>An open file's stripe recipe, resolved to connections: everything a block transfer needs.</summary>
internal sealed class FileLayout
{
    private volatile Capability? _capability;
    private long _renewAtTicks;

    public FileLayout(string name, ulong fileId, int blockSize, IReadOnlyList<FileServerConnection> servers, Capability? capability = null)
    {
        SetCapability(capability);
        Name = name;
        FileId = fileId;
        BlockSize = blockSize;
        Servers = servers;
        ObjectId = new ObjectId { Name = name, Generation = fileId };
    }

    public string Name { get; }

    public ulong FileId { get; }

    public int BlockSize { get; }

    public int Width => Servers.Count;

    public IReadOnlyList<FileServerConnection> Servers { get; }

    public ObjectId ObjectId { get; }

    /// <summary>What the metadata server granted this open (renewed while it stays open); every file-server call presents it.</summary>
    public Capability? Capability => _capability;

    /// <summary>When the capability should be renewed (half-way to its expiry), or null if it never expires.</summary>
    public DateTimeOffset? RenewAt => Interlocked.Read(ref _renewAtTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Takes a new (renewed) capability.</summary>
    public void SetCapability(Capability? capability)
    {
        _capability = capability;
        var now = DateTimeOffset.UtcNow;
        var expires = capability is { ExpiresUnixMs: > 0 } ? DateTimeOffset.FromUnixTimeMilliseconds(capability.ExpiresUnixMs) : (DateTimeOffset?)null;
        Interlocked.Exchange(ref _renewAtTicks, expires is { } at ? (now + ((at - now) / 2)).UtcTicks : 0);
    }

    /// <summary>Tries a failed renewal again after <paramref name="delay"/> (the capability may still be valid).</summary>
    public void PostponeRenewal(TimeSpan delay)
    {
        if (RenewAt is not null)
        {
            Interlocked.Exchange(ref _renewAtTicks, (DateTimeOffset.UtcNow + delay).UtcTicks);
        }
    }
}
