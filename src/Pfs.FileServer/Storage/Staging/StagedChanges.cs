using Pfs.Protocol;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// What a stage changes in its object, as the writer's view of it: the byte ranges it staged (held in
/// the shadow at their real offsets) and the cuts (truncates) it made, in the order they came.
/// <para>
/// The view is the committed object cut to <see cref="CutBase"/> (the lowest cut: committed bytes at or
/// past it are gone from the view for good), with the staged ranges over it and zeros anywhere else,
/// and it is at least <see cref="CutLength"/> long (the last cut: an extend by truncate adds zeros).
/// A cut also drops every staged byte at or past it. Not thread-safe; the owning object's lock guards it.
/// </para>
/// </summary>
internal sealed class StagedChanges
{
    /// <summary>The staged ranges.</summary>
    public IntervalSet Extents { get; } = new();

    /// <summary>The lowest cut made; null if the writer never cut.</summary>
    public long? CutBase { get; private set; }

    /// <summary>The last cut made (0 if none): the view is at least this long.</summary>
    public long CutLength { get; private set; }

    /// <summary>Records bytes staged at <paramref name="start"/>.</summary>
    public void Add(long start, long length) => Extents.Add(start, length);

    /// <summary>Records a cut of the view to <paramref name="length"/> bytes.</summary>
    public void Cut(long length)
    {
        Extents.RemoveFrom(length);
        CutBase = Math.Min(CutBase ?? length, length);
        CutLength = length;
    }

    /// <summary>How many bytes of a committed object <paramref name="objectLength"/> long the view still shows.</summary>
    public long VisibleCommitted(long objectLength) => CutBase is { } cut ? Math.Min(objectLength, cut) : objectLength;

    /// <summary>The length of the view over a committed object <paramref name="objectLength"/> bytes long.</summary>
    public long ViewLength(long objectLength) => Math.Max(Math.Max(VisibleCommitted(objectLength), CutLength), Extents.End);

    /// <summary>
    /// True if the shadow alone holds the whole view over a committed object <paramref name="objectLength"/>
    /// bytes long, so applying the stage may rename the shadow over the object. Without a cut the shadow's
    /// gaps are bytes never written (zeros), so the staged ranges need only cover what the object has;
    /// after a cut the gaps may hold bytes cut away (a crash can come between logging a cut and cutting
    /// the shadow), so the ranges must cover the whole view.
    /// </summary>
    public bool ShadowHoldsView(long objectLength) =>
        CutBase is null ? Extents.CoversPrefix(objectLength) : Extents.CoversPrefix(ViewLength(objectLength));
}
