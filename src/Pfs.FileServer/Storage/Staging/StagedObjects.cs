using System.Collections.Concurrent;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// Staged writes and writer epochs over a <see cref="BlockStore"/>: what makes a writer's bytes
/// all-or-nothing and a superseded writer harmless.
/// <para>
/// A writer's bytes never go into the object itself. They go into a <see cref="Stage"/> beside it,
/// which only that writer (same epoch) reads through. When the metadata server commits the writer's
/// close, <see cref="CommitAsync"/> makes them the object's bytes, on stable storage before the stage's
/// log goes. A writer that dies never commits, and its stage is dropped by the first call of a newer
/// lock holder, so nobody ever sees part of an unfinished write.
/// </para>
/// <para>
/// Per object there is at most one stage, and each object keeps its <see cref="EpochMarks"/> (a floor
/// and a seal that refuse stale writers). The words below mean one thing each, here and in the code:
/// </para>
/// <list type="bullet">
/// <item><b>Admit</b>: let a writer's call in: refuse a stale epoch, settle an older stage, raise the
/// floor, and find (or make) the writer's own stage (<c>.Admission.cs</c>).</item>
/// <item><b>Settle</b>: end a stage, by applying or dropping it, and seal its epoch. A stage that a
/// caller's capability shows to be finished (named as committed, or older than the caller's lock, so
/// its writer is gone) is settled before the call goes on: applied if named, dropped if not
/// (<c>.Settle.cs</c>).</item>
/// <item><b>Apply</b>: make a stage's bytes the object's: rename the shadow over the object when it
/// covers every old byte, copy the staged ranges in otherwise (<c>.Apply.cs</c>).</item>
/// <item><b>Drop</b>: discard a stage's bytes.</item>
/// <item><b>Commit</b>: the metadata server's call (CommitObject): settle that writer's stage by
/// applying it, or only seal the epoch if nothing of it is staged here.</item>
/// </list>
/// </summary>
public sealed partial class StagedObjects
{
    /// <summary>Default for the most stages one server keeps at once (<see cref="FileServerOptions.MaxStages"/>).</summary>
    public const int DefaultMaxStages = 4096;

    private readonly BlockStore _store;
    private readonly ILogger<StagedObjects> _logger;
    private readonly int _maxStages;

    // By generation: the name in a key is only what its caller called the file.
    private readonly ConcurrentDictionary<ulong, ObjectState> _states = new();

    // Stages in memory: made, or found at load, and not yet settled.
    private int _liveStages;

    /// <param name="store">The committed objects.</param>
    /// <param name="logger">Where settling and recovery are logged.</param>
    /// <param name="maxStages">Most stages kept at once: a new writer beyond it is refused as busy (retry later).</param>
    public StagedObjects(BlockStore store, ILogger<StagedObjects> logger, int maxStages = DefaultMaxStages)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStages, 1);
        _store = store;
        _logger = logger;
        _maxStages = maxStages;
    }

    /// <summary>
    /// TEST ONLY crash point: a drop of staged writes has recorded its epoch as dropped in the object's marks and
    /// not yet deleted the stage.
    /// </summary>
    public const string DropMarked = "drop-marked";

    /// <summary>TEST ONLY: the crash point at which this process kills itself (<see cref="DropMarked"/>); null outside tests.</summary>
    public string? TestCrashPoint { get; init; }

    /// <summary>Stages held now (each one writer's staged bytes of one object).</summary>
    public int LiveStages => Volatile.Read(ref _liveStages);

    // For tests: the object's stage, if it is loaded and has one.
    internal Stage? StageOf(ObjectKey key)
    {
        if (!_states.TryGetValue(key.Generation, out var state))
        {
            return null;
        }

        lock (state)
        {
            return state.Stage;
        }
    }

    // The object's state, loaded from disk on first use. `path` is the key's, already resolved (and so
    // the key validated): nothing is kept for a key that names no object.
    private async ValueTask<ObjectState> GetStateAsync(ObjectKey key, ObjectPath path, CancellationToken cancellationToken)
    {
        var state = _states.GetOrAdd(key.Generation, static (_, arg) => new ObjectState(arg.key, arg.path), (key, path));
        if (state.Loaded)
        {
            return state;
        }

        using (await state.EnterGateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!state.Loaded)
            {
                try
                {
                    Recover(state);
                }
                catch (Exception ex) when (IoErrors.IsIo(ex))
                {
                    throw IoErrors.Failure(_logger, "load", key, ex);
                }

                state.Loaded = true;
            }
        }

        return state;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, EventName = "StageSettled", Message = "Staged writes of {Name}/{Generation} epoch {Epoch} {Outcome}")]
        public static partial void Settled(ILogger logger, LogLevel level, string name, ulong generation, ulong epoch, string outcome);

        [LoggerMessage(EventId = 13, EventName = "StageDroppedUnfinished", Level = LogLevel.Warning,
            Message = "Dropped the staged writes of {Name}/{Generation} epoch {Epoch}: a call of epoch {By} shows that writer finished without a commit")]
        public static partial void DroppedUnfinished(ILogger logger, string name, ulong generation, ulong epoch, ulong by);

        [LoggerMessage(EventId = 11, EventName = "StageRecovered", Level = LogLevel.Information, Message = "Found staged writes of {Name}/{Generation} epoch {Epoch} ({Extents} extents) from an earlier run")]
        public static partial void Recovered(ILogger logger, string name, ulong generation, ulong epoch, int extents);

        [LoggerMessage(EventId = 12, EventName = "StageUnreadable", Level = LogLevel.Warning, Message = "Dropped an unreadable stage of {Name}/{Generation}")]
        public static partial void Unreadable(ILogger logger, string name, ulong generation);

        [LoggerMessage(EventId = 14, EventName = "StageDropFinished", Level = LogLevel.Warning,
            Message = "Finished dropping the staged writes of {Name}/{Generation} epoch {Epoch}, which an earlier run had begun to drop")]
        public static partial void DropFinished(ILogger logger, string name, ulong generation, ulong epoch);
    }
}
