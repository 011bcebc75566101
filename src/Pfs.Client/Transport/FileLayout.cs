using Pfs.Erasure;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>An open file's stripe recipe, resolved to connections: everything a block transfer needs.</summary>
internal sealed class FileLayout
{
    private readonly Lock _positionsLock = new();
    private readonly bool[] _unusable;
    private readonly bool[] _written;
    private readonly HashSet<int> _repaired = [];
    private readonly HashSet<int> _reported = [];
    private long _heldSize;
    private volatile Capability? _capability;
    private long _renewAtTicks;

    public FileLayout(string name, ulong fileId, int blockSize, IReadOnlyList<FileServerConnection> servers, Capability? capability = null,
                      int parity = 0, IEnumerable<int>? stalePositions = null)
    {
        SetCapability(capability);
        Name = name;
        FileId = fileId;
        BlockSize = blockSize;
        Servers = servers;
        Parity = parity;
        ObjectId = new ObjectId { Name = name, Generation = fileId };
        _unusable = new bool[servers.Count];
        _written = new bool[servers.Count];
        foreach (var position in stalePositions ?? [])
        {
            if (position >= 0 && position < servers.Count)
            {
                _unusable[position] = true;
            }
        }

        Code = parity > 0 ? new ReedSolomon(Width, parity) : null;
    }

    public string Name { get; }

    public ulong FileId { get; }

    public int BlockSize { get; }

    /// <summary>K: data blocks per stripe (for M = 0 the number of servers, as in version 1).</summary>
    public int Width => Servers.Count - Parity;

    /// <summary>M: parity blocks per stripe.</summary>
    public int Parity { get; }

    /// <summary>K + M: the stripe positions, one server each.</summary>
    public int Positions => Servers.Count;

    /// <summary>The K + M servers in position order.</summary>
    public IReadOnlyList<FileServerConnection> Servers { get; }

    public ObjectId ObjectId { get; }

    /// <summary>The file's code (M &gt; 0 only).</summary>
    public ReedSolomon? Code { get; }

    /// <summary>Per-stripe exclusion for this open's stripe writes (M &gt; 0).</summary>
    public StripeLocks StripeLocks { get; } = new();

    /// <summary>
    /// Whether a position holds shards this open may read: not stale at the open, and not missed
    /// by this open's own writes (its stage there lacks them).
    /// </summary>
    public bool IsUsable(int position)
    {
        lock (_positionsLock)
        {
            return !_unusable[position];
        }
    }

    /// <summary>How many positions are stale or missed.</summary>
    public int UnusableCount
    {
        get
        {
            lock (_positionsLock)
            {
                return _unusable.Count(x => x);
            }
        }
    }

    /// <summary>
    /// A write of this open did not reach <paramref name="position"/>: it is skipped from now on,
    /// never read, and reported at the close. Returns false if more than M positions are now unusable.
    /// </summary>
    public bool MarkMissed(int position)
    {
        lock (_positionsLock)
        {
            _unusable[position] = true;
            return _unusable.Count(x => x) <= Parity;
        }
    }

    /// <summary>
    /// The metadata server marked <paramref name="positions"/> stale after this open began (their server came back
    /// without its data or dropped a committed write, or a reader found them damaged): they are not read from now
    /// on (with parity they are read around, and a writer's close reports them missed; without, a read there
    /// fails as lost).
    /// </summary>
    public void MarkStale(IEnumerable<int> positions)
    {
        lock (_positionsLock)
        {
            foreach (var position in positions)
            {
                if (position >= 0 && position < Positions && !_repaired.Contains(position))
                {
                    _unusable[position] = true;
                }
            }
        }
    }

    /// <summary>A shard of this open reached <paramref name="position"/> (staged there).</summary>
    public void MarkWritten(int position)
    {
        lock (_positionsLock)
        {
            _written[position] = true;
        }
    }

    /// <summary>
    /// A repair staged every shard of the stale <paramref name="position"/> afresh: it is written and usable
    /// from now on, and the close reports it repaired.
    /// </summary>
    public void MarkRepaired(int position)
    {
        lock (_positionsLock)
        {
            _unusable[position] = false;
            _written[position] = true;
            _repaired.Add(position);
        }
    }

    /// <summary>
    /// This open cut a file without parity to nothing: no block it had before is left, so positions whose
    /// blocks were lost with a server hold only what this open writes from now on. They are usable again, and
    /// the close reports them repaired.
    /// </summary>
    public void MarkEmptied()
    {
        lock (_positionsLock)
        {
            for (var position = 0; position < Positions; position++)
            {
                if (Parity == 0 && _unusable[position])
                {
                    _unusable[position] = false;
                    _repaired.Add(position);
                }
            }
        }
    }

    /// <summary>Positions a repair under this open rebuilt (without parity: those <see cref="MarkEmptied"/> returned to use).</summary>
    public List<int> RepairedPositions()
    {
        lock (_positionsLock)
        {
            return [.. _repaired.Order()];
        }
    }

    /// <summary>Positions this open staged anything on and did not miss: the close commits these.</summary>
    public List<int> WrittenPositions()
    {
        lock (_positionsLock)
        {
            return [.. Enumerable.Range(0, Positions).Where(p => _written[p] && !_unusable[p])];
        }
    }

    /// <summary>Positions unusable for this open (stale when opened, or missed since): the close reports them.</summary>
    public List<int> UnusablePositions()
    {
        lock (_positionsLock)
        {
            return [.. Enumerable.Range(0, Positions).Where(p => _unusable[p])];
        }
    }

    /// <summary>
    /// Bytes of the file every usable position holds the shards of (M &gt; 0): the committed size when it was
    /// opened, less after a cut by this open. Within it, every parity shard and every data shard of a block
    /// inside it was written whole (sparse files aside: a block never written has no shard), so a shard
    /// that reads short there is suspect (see <see cref="Striping.ErasureTransport"/>).
    /// </summary>
    public long HeldSize => Interlocked.Read(ref _heldSize);

    /// <summary>Stripes of <see cref="HeldSize"/> (0 without parity).</summary>
    public long ShardStripes => Parity > 0 && HeldSize > 0 ? ((HeldSize - 1) / ((long)Width * BlockSize)) + 1 : 0;

    /// <summary>Data blocks of <see cref="HeldSize"/>.</summary>
    public long DataBlocks => HeldSize > 0 ? ((HeldSize - 1) / BlockSize) + 1 : 0;

    /// <summary>Sets <see cref="HeldSize"/> to the committed size at the open.</summary>
    public void SetCommittedSize(long size) => Interlocked.Exchange(ref _heldSize, Math.Max(0, size));

    /// <summary>This open cut the file at <paramref name="length"/>: only what lies below it still counts as held.</summary>
    public void CutAt(long length)
    {
        lock (_positionsLock)
        {
            Interlocked.Exchange(ref _heldSize, Math.Min(Interlocked.Read(ref _heldSize), Math.Max(0, length)));
        }
    }

    /// <summary>
    /// Where a read that found a damaged or lost shard reports it (the client sends it to the metadata
    /// server in the background); null: not reported.
    /// </summary>
    public Action<FileLayout, int, long, string>? DamageSink { get; init; }

    /// <summary>
    /// A read found the shard of <paramref name="stripe"/> at <paramref name="position"/> damaged or missing:
    /// the first such find per position of this open goes to <see cref="DamageSink"/>; later ones are dropped.
    /// </summary>
    public void ReportDamage(int position, long stripe, string reason)
    {
        if (DamageSink is not { } sink)
        {
            return;
        }

        lock (_positionsLock)
        {
            if (!_reported.Add(position))
            {
                return;
            }
        }

        sink(this, position, stripe, reason);
    }

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
