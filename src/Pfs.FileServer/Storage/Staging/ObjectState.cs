namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// What staging knows about one object: its epoch marks and its stage, if any. Two locks guard it.
/// The gate (<see cref="EnterGateAsync"/>) serializes whatever changes the object's files: loading,
/// making and settling stages, writing the marks; it is held across I/O. The monitor (<c>lock</c> on
/// this object) guards the fields below for the moments they are read or changed, so that a writer's
/// calls inside its own stage never wait for the gate.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds no handle: nothing to dispose.")]
internal sealed class ObjectState(ObjectKey key, ObjectPath path)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    // Set once, under the gate, after the marks and any stage left on disk were read.
    private volatile bool _loaded;

    public ObjectKey Key { get; } = key;

    public ObjectPath Path { get; } = path;

    public bool Loaded
    {
        get => _loaded;
        set => _loaded = value;
    }

    // Under lock (this).
    public ulong Floor { get; set; }

    public ulong Sealed { get; set; }

    /// <summary>The newest epoch whose stage was dropped here (not applied), other than by a delete.</summary>
    public ulong Dropped { get; set; }

    public Stage? Stage { get; set; }

    /// <summary>
    /// The checksum block of the object's sums (0: none kept yet): set by the first write with sums and
    /// found again at load; every later write with sums must use it.
    /// </summary>
    public int SumUnit { get; set; }

    /// <summary>The generation was deleted here: nothing may touch it again.</summary>
    public bool Deleted { get; set; }

    /// <summary>Waits for the gate; disposing the result lets the next one in.</summary>
    public async ValueTask<GateHeld> EnterGateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new GateHeld(_gate);
    }

    /// <summary>The marks as they stand, to be written to disk; the caller holds the gate.</summary>
    public EpochMarks Marks()
    {
        lock (this)
        {
            return new EpochMarks(Floor, Sealed, Dropped);
        }
    }

    /// <summary>The gate, held until disposed.</summary>
    internal readonly struct GateHeld(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
