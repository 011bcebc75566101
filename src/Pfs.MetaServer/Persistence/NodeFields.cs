using System.Globalization;
using Pfs.MetaServer.Registry;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// A node as the fields of its <c>ino:{id}</c> hash, and back. Every store keeps nodes in this form, so
/// they all apply a partial update (a writer's close, a chmod) the same way: only the fields it names.
/// </summary>
public static class NodeFields
{
    public const string Kind = "kind";
    public const string Mode = "mode";
    public const string Uid = "uid";
    public const string Gid = "gid";
    public const string Created = "created";
    public const string Modified = "modified";
    public const string Changed = "changed";
    public const string Accessed = "accessed";
    public const string Size = "size";
    public const string BlockSize = "block";
    public const string StripeWidth = "width";
    public const string ParityBlocks = "parity";
    public const string Servers = "servers";
    public const string Version = "version";
    public const string PendingCommits = "pending";
    public const string StalePositions = "stale";
    public const string Target = "target";
    public const string Parent = "parent";

    private const string FileKind = "file";
    private const string DirectoryKind = "dir";
    private const string SymlinkKind = "symlink";

    /// <summary>Every field of <paramref name="node"/> (a new node).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> All(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var fields = new List<KeyValuePair<string, string>>(16)
        {
            new(Kind, node switch { FileNode => FileKind, DirectoryNode => DirectoryKind, _ => SymlinkKind }),
            new(Mode, Text(node.Mode)),
            new(Uid, Text(node.Uid)),
            new(Gid, Text(node.Gid)),
            new(Created, Time(node.Created)),
        };
        fields.AddRange(Times(node));
        switch (node)
        {
            case FileNode file:
                fields.AddRange(FileContent(file));
                fields.Add(new(BlockSize, Text(file.BlockSize)));
                fields.Add(new(StripeWidth, Text(file.StripeWidth)));
                fields.Add(new(ParityBlocks, Text(file.ParityBlocks)));
                fields.Add(new(Servers, string.Join(' ', file.Servers)));
                break;
            case SymlinkNode symlink:
                fields.Add(new(Target, symlink.Target));
                break;
            case DirectoryNode directory:
                fields.Add(new(Parent, Text(directory.Parent)));
                break;
        }

        return fields;
    }

    /// <summary>mtime, ctime and atime.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Times(Node node) =>
    [
        new(Modified, Time(node.Modified)),
        new(Changed, Time(node.Changed)),
        new(Accessed, Time(node.Accessed)),
    ];

    /// <summary>ctime alone (a change of names or link count).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ChangedTime(Node node) => [new(Changed, Time(node.Changed))];

    /// <summary>mtime and ctime (a directory whose entries changed).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> EntryTimes(Node node) =>
        [new(Modified, Time(node.Modified)), new(Changed, Time(node.Changed))];

    /// <summary>What a writer's close changes: size, version, pending commits (times separately).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> FileContent(FileNode file) =>
    [
        new(Size, Text(file.Size)),
        new(Version, Text(file.Version)),
        // Always written (also empty), so an update clears what an earlier one stored.
        new(PendingCommits, string.Join(' ', file.PendingCommits.Select(Text))),
        new(StalePositions, PositionsText(file.StalePositions)),
    ];

    /// <summary>What a SetAttributes changed: the named fields, and ctime always (so a concurrent change of others stays).</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Attributes(Node node, bool mode, bool uid, bool gid, bool accessed, bool modified)
    {
        ArgumentNullException.ThrowIfNull(node);
        var fields = new List<KeyValuePair<string, string>>(6) { new(Changed, Time(node.Changed)) };
        if (mode)
        {
            fields.Add(new(Mode, Text(node.Mode)));
        }

        if (uid)
        {
            fields.Add(new(Uid, Text(node.Uid)));
        }

        if (gid)
        {
            fields.Add(new(Gid, Text(node.Gid)));
        }

        if (accessed)
        {
            fields.Add(new(Accessed, Time(node.Accessed)));
        }

        if (modified)
        {
            fields.Add(new(Modified, Time(node.Modified)));
        }

        return fields;
    }

    /// <summary>A moved directory's new parent, and its ctime.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> MovedDirectory(DirectoryNode directory) =>
        [new(Parent, Text(directory.Parent)), new(Changed, Time(directory.Changed))];

    /// <summary>The root directory of a new namespace.</summary>
    public static DirectoryNode NewRoot(DateTimeOffset now)
    {
        var time = Node.Truncate(now);
        return new DirectoryNode
        {
            Id = DirectoryNode.RootId,
            Parent = DirectoryNode.RootId,
            Mode = 0x1ED, // 0755
            Created = time,
            Modified = time,
            Changed = time,
            Accessed = time,
        };
    }

    /// <summary>
    /// The node stored in <paramref name="fields"/>, without its names (links, a directory's name): the
    /// walk from the root knows those. Null if fields are missing or malformed.
    /// </summary>
    public static Node? Parse(ulong id, IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (id == 0 || !fields.TryGetValue(Kind, out var kind)
            || !TryLong(fields, Created, out var created) || !TryLong(fields, Modified, out var modified))
        {
            return null;
        }

        // Absent in nothing this server writes, but a node is still readable without them.
        var changed = TryLong(fields, Changed, out var c) ? c : modified;
        var accessed = TryLong(fields, Accessed, out var a) ? a : modified;
        _ = TryUInt(fields, Uid, out var uid);
        _ = TryUInt(fields, Gid, out var gid);
        var hasMode = TryUInt(fields, Mode, out var mode);
        Node? node = kind switch
        {
            FileKind => ParseFile(id, fields, hasMode ? mode : 0x1A4),
            DirectoryKind => TryULong(fields, Parent, out var parent)
                ? new DirectoryNode { Id = id, Parent = parent, Mode = hasMode ? mode : 0x1ED }
                : null,
            SymlinkKind => fields.TryGetValue(Target, out var target) ? new SymlinkNode { Id = id, Target = target, Mode = hasMode ? mode : 0x1FF } : null,
            _ => null,
        };
        return node is null ? null : node with
        {
            Mode = node.Mode & Node.ModeMask,
            Uid = uid,
            Gid = gid,
            Created = DateTimeOffset.FromUnixTimeMilliseconds(created),
            Modified = DateTimeOffset.FromUnixTimeMilliseconds(modified),
            Changed = DateTimeOffset.FromUnixTimeMilliseconds(changed),
            Accessed = DateTimeOffset.FromUnixTimeMilliseconds(accessed),
        };
    }

    /// <summary>The reclaim value of a freed file: how many stripe positions hold its objects, and its last path (for logs).</summary>
    public static string ReclaimValue(FileNode file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        return string.Create(CultureInfo.InvariantCulture, $"{file.StripeWidth} {file.ParityBlocks} {path}");
    }

    /// <summary>Reads a reclaim value back; null if malformed.</summary>
    public static (int Positions, string Path)? ParseReclaim(string value)
    {
        var parts = (value ?? string.Empty).Split(' ', 3);
        return parts.Length >= 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width is > 0 and <= 1024
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parity) && parity is >= 0 and <= 1024
                ? (width + parity, parts.Length == 3 ? parts[2] : string.Empty)
                : null;
    }

    /// <summary>Stale positions as stored: ascending, space-separated ("" for none).</summary>
    public static string PositionsText(IEnumerable<int> positions) => string.Join(' ', positions.Select(p => Text(p)));

    internal static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Time(DateTimeOffset time) => Text(time.ToUnixTimeMilliseconds());

    internal static bool TryLong(IReadOnlyDictionary<string, string> fields, string field, out long value) =>
        long.TryParse(fields.GetValueOrDefault(field), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    internal static bool TryULong(IReadOnlyDictionary<string, string> fields, string field, out ulong value) =>
        ulong.TryParse(fields.GetValueOrDefault(field), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryUInt(IReadOnlyDictionary<string, string> fields, string field, out uint value) =>
        uint.TryParse(fields.GetValueOrDefault(field), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static FileNode? ParseFile(ulong id, IReadOnlyDictionary<string, string> fields, uint mode)
    {
        if (!TryLong(fields, Size, out var size) || size < 0
            || !TryLong(fields, BlockSize, out var blockSize) || blockSize is < 1 or > int.MaxValue
            || !TryLong(fields, StripeWidth, out var width) || width is < 1 or > int.MaxValue
            || !TryULong(fields, Version, out var version))
        {
            return null;
        }

        var parity = TryLong(fields, ParityBlocks, out var p) && p is >= 0 and <= int.MaxValue ? (int)p : 0;
        return new FileNode
        {
            Id = id,
            Mode = mode,
            Size = size,
            BlockSize = (int)blockSize,
            StripeWidth = (int)width,
            ParityBlocks = parity,
            Servers = fields.GetValueOrDefault(Servers, string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Version = version,
            PendingCommits = ParseEpochs(fields.GetValueOrDefault(PendingCommits)),
            StalePositions = ParsePositions(fields.GetValueOrDefault(StalePositions)),
        };
    }

    // Missing or empty: none (every record before parity). An unreadable entry is skipped.
    private static int[] ParsePositions(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position : -1)
                .Where(position => position >= 0)
                .Distinct()
                .Order()];

    // Missing or empty: none. An unreadable entry is skipped.
    private static ulong[] ParseEpochs(string? text) =>
        string.IsNullOrEmpty(text)
            ? []
            : [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) ? epoch : 0)
                .Where(epoch => epoch != 0)];
}
