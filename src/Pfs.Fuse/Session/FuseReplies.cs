using Pfs.Fuse.Protocol;

namespace Pfs.Fuse;

/// <summary>Turns the public answer types into wire structs.</summary>
internal static class FuseReplies
{
    public static EntryOut ToEntryOut(in FuseEntry entry)
    {
        var (entrySeconds, entryNanos) = Split(entry.EntryTimeout);
        var (attrSeconds, attrNanos) = Split(entry.AttrTimeout);
        return new EntryOut
        {
            NodeId = entry.NodeId,
            Generation = entry.Generation,
            EntryValid = entrySeconds,
            EntryValidNsec = entryNanos,
            AttrValid = attrSeconds,
            AttrValidNsec = attrNanos,
            Attr = entry.Attr,
        };
    }

    public static AttrOut ToAttrOut(in FuseAttrReply reply)
    {
        var (seconds, nanos) = Split(reply.Timeout);
        return new AttrOut { AttrValid = seconds, AttrValidNsec = nanos, Attr = reply.Attr };
    }

    public static StatFsOut ToStatFsOut(in FuseStatFs statFs) => new()
    {
        Blocks = statFs.Blocks,
        Bfree = statFs.BlocksFree,
        Bavail = statFs.BlocksAvailable,
        Files = statFs.Files,
        Ffree = statFs.FilesFree,
        Bsize = statFs.BlockSize,
        NameLen = statFs.NameLength,
        Frsize = statFs.FragmentSize == 0 ? statFs.BlockSize : statFs.FragmentSize,
    };

    /// <summary>A cache timeout as the kernel takes it: whole seconds and nanoseconds, never negative.</summary>
    public static (ulong Seconds, uint Nanoseconds) Split(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
            return (0, 0);
        var seconds = (ulong)(timeout.Ticks / TimeSpan.TicksPerSecond);
        var nanos = (uint)(timeout.Ticks % TimeSpan.TicksPerSecond * 100);
        return (seconds, nanos);
    }
}
