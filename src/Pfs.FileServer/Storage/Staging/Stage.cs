using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// One writer's staged bytes of one object: a shadow file beside the object (<c>&lt;object&gt;.stage</c>)
/// holding them at their real offsets, the <see cref="StageLog"/> naming which ranges those are and
/// where the writer cut, and the same in memory (<see cref="Changes"/>).
/// <para>
/// Calls inside the stage are counted (<see cref="Enter"/>, <see cref="Leave"/>), so that settling the
/// stage waits for them. Writes and reads run side by side; a call that cuts runs alone, in the order
/// it came: it waits for the calls already inside, and calls that come after it wait for it.
/// </para>
/// <para>
/// The shadow and log are open only while calls are inside (<see cref="OpenHandles"/>; the last call
/// out closes them), so a stage nobody is writing, a dead writer's included, holds no file handle.
/// </para>
/// </summary>
internal sealed class Stage
{
    private const string ShadowSuffix = ".stage";

    private readonly StageLog _log;

    // The shadow's pages go to the disk as they come, not all at the writer's closing fsync.
    private readonly EagerWriteback _writeback;

    // Guards opening and closing the shadow; the log's handle opens and closes with it.
    private readonly Lock _handles = new();
    private SafeFileHandle? _shadow;
    private SafeFileHandle? _sums;

    // Under the owning ObjectState's lock: the call running alone, if any, and what it waits for.
    private TaskCompletionSource? _exclusive;
    private TaskCompletionSource? _quiet;

    private Stage(ulong epoch, string shadowPath, SafeFileHandle? shadow, StageLog log, StagedChanges changes, long writebackBytes)
    {
        _writeback = new EagerWriteback(writebackBytes);
        Epoch = epoch;
        ShadowPath = shadowPath;
        _shadow = shadow;
        _log = log;
        Changes = changes;
    }

    /// <summary>The writer's epoch.</summary>
    public ulong Epoch { get; }

    public string ShadowPath { get; }

    /// <summary>The staged blocks' sums (<see cref="Sums.SumFile"/>), made by the first write that has sums to keep.</summary>
    public string SumsPath => ShadowPath + Sums.SumFile.ShadowSuffix;

    /// <summary>The shadow's handle; only while a call is inside, after <see cref="OpenHandles"/>.</summary>
    public SafeFileHandle Shadow => _shadow ?? throw new InvalidOperationException("the stage's files are not open");

    /// <summary>The staged ranges and cuts; read and changed under the owning <see cref="ObjectState"/>'s lock.</summary>
    public StagedChanges Changes { get; }

    // Calls inside the stage, whether it is being settled, and who waits for the calls to drain:
    // all under the owning ObjectState's lock.
    public int InFlight { get; private set; }

    public bool Closing { get; set; }

    public TaskCompletionSource? Drained { get; set; }

    /// <summary>The shadow file of the object at <paramref name="path"/>.</summary>
    public static string ShadowOf(ObjectPath path) => path.File + ShadowSuffix;

    /// <summary>Starts an empty stage of <paramref name="epoch"/>, replacing whatever files an old one left.</summary>
    public static Stage Create(ObjectPath path, ulong epoch, long writebackBytes)
    {
        // Shadow first, then the log: a log without its shadow means "applied by rename" when loading.
        var shadowPath = ShadowOf(path);
        var shadow = ObjectFiles.OpenForWrite(path.Directory, shadowPath, FileMode.Create, FileAccess.ReadWrite);
        try
        {
            return new Stage(epoch, shadowPath, shadow, StageLog.Create(path, epoch), new StagedChanges(), writebackBytes);
        }
        catch
        {
            shadow.Dispose();
            ObjectFiles.TryDelete(shadowPath);
            throw;
        }
    }

    /// <summary>Takes up a stage an earlier run left (its log already read into <paramref name="changes"/>); nothing is opened.</summary>
    public static Stage Reopen(ObjectPath path, ulong epoch, StageLog log, StagedChanges changes, long writebackBytes) =>
        new(epoch, ShadowOf(path), shadow: null, log, changes, writebackBytes);

    /// <summary>Opens the shadow and the log unless they are open; a call inside the stage does this before it uses them.</summary>
    public void OpenHandles()
    {
        lock (_handles)
        {
            if (_shadow is not null)
            {
                return;
            }

            var shadow = ObjectFiles.OpenExisting(ShadowPath, FileAccess.ReadWrite);
            try
            {
                _log.Open();
            }
            catch
            {
                shadow.Dispose();
                throw;
            }

            _shadow = shadow;
            if (File.Exists(SumsPath))
            {
                _sums = ObjectFiles.OpenExisting(SumsPath, FileAccess.ReadWrite);
            }
        }
    }

    /// <summary>The sums shadow's handle, made (for blocks of <paramref name="unit"/> bytes) if there is none; only while a call is inside.</summary>
    public SafeFileHandle SumsFor(ObjectPath path, int unit)
    {
        lock (_handles)
        {
            return _sums ??= Sums.SumFile.OpenForWrite(path, SumsPath, unit);
        }
    }

    /// <summary>The sums shadow's handle if it exists; only while a call is inside.</summary>
    public SafeFileHandle? SumsIfAny
    {
        get
        {
            lock (_handles)
            {
                return _sums;
            }
        }
    }

    /// <summary>True while the shadow and log are open.</summary>
    public bool HandlesOpen
    {
        get
        {
            lock (_handles)
            {
                return _shadow is not null;
            }
        }
    }

    /// <summary>Closes the shadow and the log, if open; the next call opens them again.</summary>
    public void CloseHandles()
    {
        lock (_handles)
        {
            _shadow?.Dispose();
            _shadow = null;
            _sums?.Dispose();
            _sums = null;
            _log.Close();
        }
    }

    /// <summary>
    /// Lets a call in, under the owner's lock. Null: the call is in and may go on. Otherwise, if
    /// <paramref name="entered"/>, the call is in and must first wait for the task (it runs alone, and
    /// calls already inside are still running); if not, a call running alone is inside: wait for the
    /// task, then try again.
    /// </summary>
    public Task? Enter(bool exclusive, out bool entered)
    {
        if (_exclusive is not null)
        {
            entered = false;
            return _exclusive.Task;
        }

        entered = true;
        InFlight++;
        if (!exclusive)
        {
            return null;
        }

        _exclusive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (InFlight == 1)
        {
            return null;
        }

        _quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _quiet.Task;
    }

    /// <summary>Lets a call out, under the owner's lock, and wakes whoever waits for that. The last one out closes the files.</summary>
    public void Leave(bool exclusive)
    {
        InFlight--;
        if (InFlight == 0)
        {
            CloseHandles();
        }

        if (exclusive && _exclusive is { } alone)
        {
            _exclusive = null;
            _quiet = null;
            alone.TrySetResult();
        }

        if (InFlight == 1 && _quiet is { } quiet)
        {
            _quiet = null;
            quiet.TrySetResult();
        }

        if (InFlight == 0 && Drained is { } drained)
        {
            Drained = null;
            drained.TrySetResult();
        }
    }

    /// <summary>
    /// Writes <paramref name="segments"/> (<paramref name="bytes"/> in all) into the shadow, then records them
    /// in the log. Returns the runs recorded, for the caller to add to <see cref="Changes"/> under the owner's lock.
    /// </summary>
    public async ValueTask<List<(long Start, long Length)>> RecordAsync(IReadOnlyList<ObjectSegment> segments, long bytes, Action? beforeLog,
                                                                       CancellationToken cancellationToken)
    {
        await ObjectFiles.WriteRunsAsync(Shadow, segments, cancellationToken).ConfigureAwait(false);
        _writeback.Wrote(Shadow, bytes);

        // The sums go down with the bytes, before the log names them: whatever the log names has both.
        beforeLog?.Invoke();
        return await _log.AppendAsync(segments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a cut at <paramref name="length"/> in the log; the caller runs alone in the stage, and applies
    /// the cut to <see cref="Changes"/> once this returns, then to the shadow (<see cref="CutShadow"/>). Not
    /// cancellable: once the record is written, memory must follow it.
    /// </summary>
    public ValueTask RecordCutAsync(long length) => _log.AppendCutAsync(length, CancellationToken.None);

    /// <summary>Frees what the shadow holds past a cut at <paramref name="length"/> (and the sums of the blocks past it, for <paramref name="unit"/>).</summary>
    public void CutShadow(long length, int unit)
    {
        if (RandomAccess.GetLength(Shadow) > length)
        {
            RandomAccess.SetLength(Shadow, length);
        }

        if (unit > 0 && SumsIfAny is { } sums)
        {
            Sums.SumFile.Cut(sums, Sums.SumFile.BlocksOf(length, unit));
        }
    }

    /// <summary>Records a cut at <paramref name="length"/> and a run of restaged bytes before it in one log append.</summary>
    public ValueTask RecordCutAndRunAsync(long length, long runStart) => _log.AppendCutAndRunAsync(length, runStart, CancellationToken.None);

    /// <summary>Puts the staged bytes, their sums and their log on stable storage.</summary>
    public void Flush()
    {
        RandomAccess.FlushToDisk(Shadow);
        if (SumsIfAny is { } sums)
        {
            RandomAccess.FlushToDisk(sums);
        }

        _log.Flush();
    }

    /// <summary>Times the shadow's dirty pages were sent to the disk ahead of the flush (<see cref="EagerWriteback"/>).</summary>
    public int WritebackSubmissions => _writeback.Submissions;

    /// <summary>Removes the log: the last step of settling, after which nothing of the stage is left.</summary>
    public void DeleteLog() => _log.Delete();
}
