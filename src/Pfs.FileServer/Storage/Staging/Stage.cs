using Microsoft.Win32.SafeHandles;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// One writer's staged bytes of one object: a shadow file beside the object (<c>&lt;object&gt;.stage</c>)
/// holding them at their real offsets, the <see cref="StageLog"/> naming which ranges those are, and the
/// same ranges in memory.
/// </summary>
internal sealed class Stage
{
    private const string ShadowSuffix = ".stage";

    private readonly StageLog _log;

    private Stage(ulong epoch, string shadowPath, SafeFileHandle shadow, StageLog log, IntervalSet extents)
    {
        Epoch = epoch;
        ShadowPath = shadowPath;
        Shadow = shadow;
        _log = log;
        Extents = extents;
    }

    /// <summary>The writer's epoch.</summary>
    public ulong Epoch { get; }

    public string ShadowPath { get; }

    public SafeFileHandle Shadow { get; }

    /// <summary>The staged ranges; read and changed under the owning <see cref="ObjectState"/>'s lock.</summary>
    public IntervalSet Extents { get; }

    // Calls inside the stage, whether it is being settled, and who waits for the calls to drain:
    // all under the owning ObjectState's lock.
    public int InFlight { get; set; }

    public bool Closing { get; set; }

    public TaskCompletionSource? Drained { get; set; }

    /// <summary>The shadow file of the object at <paramref name="path"/>.</summary>
    public static string ShadowOf(ObjectPath path) => path.File + ShadowSuffix;

    /// <summary>Starts an empty stage of <paramref name="epoch"/>, replacing whatever files an old one left.</summary>
    public static Stage Create(ObjectPath path, ulong epoch)
    {
        // Shadow first, then the log: a log without its shadow means "applied by rename" when loading.
        var shadowPath = ShadowOf(path);
        var shadow = ObjectFiles.OpenForWrite(path.Directory, shadowPath, FileMode.Create, FileAccess.ReadWrite);
        try
        {
            return new Stage(epoch, shadowPath, shadow, StageLog.Create(path, epoch), new IntervalSet());
        }
        catch
        {
            shadow.Dispose();
            throw;
        }
    }

    /// <summary>Takes up a stage an earlier run left: its shadow and a <paramref name="log"/> already reopened.</summary>
    public static Stage Reopen(ObjectPath path, ulong epoch, StageLog log, IntervalSet extents)
    {
        var shadowPath = ShadowOf(path);
        try
        {
            return new Stage(epoch, shadowPath, ObjectFiles.OpenExisting(shadowPath, FileAccess.ReadWrite), log, extents);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="segments"/> into the shadow, then records them in the log. Returns the runs
    /// recorded, for the caller to add to <see cref="Extents"/> under the owner's lock.
    /// </summary>
    public async ValueTask<List<(long Start, long Length)>> RecordAsync(IReadOnlyList<ObjectSegment> segments, CancellationToken cancellationToken)
    {
        await ObjectFiles.WriteRunsAsync(Shadow, segments, cancellationToken).ConfigureAwait(false);
        return await _log.AppendAsync(segments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts the staged bytes and their log on stable storage.</summary>
    public void Flush()
    {
        RandomAccess.FlushToDisk(Shadow);
        _log.Flush();
    }

    public void CloseHandles()
    {
        Shadow.Dispose();
        _log.Dispose();
    }

    /// <summary>Removes the log: the last step of settling, after which nothing of the stage is left.</summary>
    public void DeleteLog() => _log.Delete();
}
