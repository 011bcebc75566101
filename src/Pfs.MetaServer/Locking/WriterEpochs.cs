using System.Collections.Concurrent;

namespace Pfs.MetaServer.Locking;

/// <summary>
/// Epochs for write capabilities, and whether a file's last writer let go cleanly.
/// Epochs grow with every write lock granted, across the whole cluster and across restarts of
/// this server (they start from the clock in microseconds), so a file server that has seen a
/// newer writer's epoch refuses an older one. A writer whose predecessor did not close cleanly
/// (lease expired, released, or unknown since this server started) is told to fence the
/// stripe first. A file this run created has had no writer at all until its first one: that one
/// need not fence, and while it has had none, nothing of the file exists on any file server.
/// </summary>
internal sealed class WriterEpochs(TimeProvider time)
{
    private readonly ConcurrentDictionary<ulong, bool> _endedCleanly = new();
    private readonly ConcurrentDictionary<ulong, byte> _neverWritten = new();
    private long _last;

    /// <summary>A new epoch, larger than every one handed out before by this or an earlier run.</summary>
    public ulong Next()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(last + 1, now);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return (ulong)next;
            }
        }
    }

    /// <summary>Records a file this run just created: no writer has had it, so there is nothing to fence.</summary>
    public void Created(ulong fileId)
    {
        _neverWritten[fileId] = 0;
        _endedCleanly[fileId] = true;
    }

    /// <summary>
    /// True while file <paramref name="fileId"/>, created by this run, has never been granted to a writer:
    /// no write capability for it was ever signed, so no file server holds anything of it.
    /// </summary>
    public bool NeverWritten(ulong fileId) => _neverWritten.ContainsKey(fileId);

    /// <summary>Records that a writer got the file; true if it must fence the stripe first.</summary>
    public bool Granted(ulong fileId)
    {
        // Before the caller signs its capability: from here on the file may have objects.
        _neverWritten.TryRemove(fileId, out _);
        var clean = _endedCleanly.TryGetValue(fileId, out var ended) && ended;
        _endedCleanly[fileId] = false;
        return !clean;
    }

    /// <summary>The writer closed normally: everything it wrote is accounted for.</summary>
    public void ClosedCleanly(ulong fileId) => _endedCleanly[fileId] = true;

    public void Forget(ulong fileId)
    {
        _endedCleanly.TryRemove(fileId, out _);
        _neverWritten.TryRemove(fileId, out _);
    }
}
