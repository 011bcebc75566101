using System.Buffers.Binary;

namespace Pfs.FileServer.Storage.Sums;

/// <summary>One block of a committed object whose bytes no longer match their sum.</summary>
public readonly record struct DamagedBlock(ulong Generation, long Offset, int BlockSize) : IComparable<DamagedBlock>
{
    public long BlockIndex => Offset / BlockSize;

    public int CompareTo(DamagedBlock other)
    {
        var byGeneration = Generation.CompareTo(other.Generation);
        return byGeneration != 0 ? byGeneration : Offset.CompareTo(other.Offset);
    }

    public static bool operator <(DamagedBlock left, DamagedBlock right) => left.CompareTo(right) < 0;

    public static bool operator <=(DamagedBlock left, DamagedBlock right) => left.CompareTo(right) <= 0;

    public static bool operator >(DamagedBlock left, DamagedBlock right) => left.CompareTo(right) > 0;

    public static bool operator >=(DamagedBlock left, DamagedBlock right) => left.CompareTo(right) >= 0;
}

/// <summary>
/// The damaged blocks this server has found (by a read or by the scrub) and that no commit has
/// rewritten since: what <c>ListDamage</c> reports to the repair worker. Damage is rare, so the whole
/// set is rewritten on every change, atomically and durably, in <c>&lt;data-dir&gt;/damaged-blocks</c>:
/// an 8-byte magic ("PFSDMG01") and 20-byte records (generation, offset, block size; little-endian).
/// </summary>
public sealed class DamagedBlocks
{
    public const string FileName = "damaged-blocks";
    private const ulong Magic = 0x3130_474d_4453_4650; // "PFSDMG01" little-endian
    private const int RecordBytes = 20;

    private readonly string _directory;
    private readonly string _file;
    private readonly Lock _gate = new();
    private readonly SortedSet<DamagedBlock> _blocks = [];

    /// <summary>Loads the damage recorded in <paramref name="dataDirectory"/> (none if it has no file yet).</summary>
    public DamagedBlocks(string dataDirectory)
    {
        _directory = dataDirectory;
        _file = Path.Join(dataDirectory, FileName);
        if (ObjectFiles.ReadRecordFile(_file, Magic, sizeof(ulong), "a file of damaged blocks") is not { } bytes)
        {
            return;
        }

        for (var at = 8; at + RecordBytes <= bytes.Length; at += RecordBytes)
        {
            _blocks.Add(new DamagedBlock(
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)),
                BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 8)),
                BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 16))));
        }
    }

    /// <summary>Blocks known damaged now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _blocks.Count;
            }
        }
    }

    /// <summary>Records <paramref name="block"/>; returns false if it was known already.</summary>
    public bool Add(DamagedBlock block)
    {
        lock (_gate)
        {
            if (!_blocks.Add(block))
            {
                return false;
            }

            Save();
            return true;
        }
    }

    /// <summary>Forgets the damage of <paramref name="generation"/> in [<paramref name="start"/>, <paramref name="end"/>): those bytes were rewritten or cut away.</summary>
    public void Remove(ulong generation, long start, long end)
    {
        lock (_gate)
        {
            if (_blocks.RemoveWhere(b => b.Generation == generation && b.Offset + b.BlockSize > start && b.Offset < end) > 0)
            {
                Save();
            }
        }
    }

    /// <summary>Up to <paramref name="limit"/> blocks after (<paramref name="afterGeneration"/>, <paramref name="afterOffset"/>), in order.</summary>
    public List<DamagedBlock> List(ulong afterGeneration, long afterOffset, int limit, out bool more)
    {
        lock (_gate)
        {
            var after = new DamagedBlock(afterGeneration, afterOffset, 1);
            var page = new List<DamagedBlock>();
            more = false;
            foreach (var block in _blocks.GetViewBetween(after, new DamagedBlock(ulong.MaxValue, long.MaxValue, 1)))
            {
                if (block.CompareTo(after) <= 0)
                {
                    continue;
                }

                if (page.Count == limit)
                {
                    more = true;
                    break;
                }

                page.Add(block);
            }

            return page;
        }
    }

    // Under _gate.
    private void Save()
    {
        var bytes = new byte[8 + (_blocks.Count * RecordBytes)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Magic);
        var at = 8;
        foreach (var block in _blocks)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), block.Generation);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 8), block.Offset);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 16), block.BlockSize);
            at += RecordBytes;
        }

        ObjectFiles.ReplaceAtomically(_directory, _file, bytes, durable: true);
    }
}
