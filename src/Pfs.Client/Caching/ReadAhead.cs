using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>
/// Read-ahead for one file open for reading. A read that starts where the previous one ended is
/// sequential; from the second such read on, the blocks after it are fetched into the cache before
/// they are asked for, in a window that starts at one stripe (a block on every server) and doubles
/// with each sequential read, up to <see cref="PfsClientOptions.ReadAheadBytes"/> per server of the
/// stripe (and half the cache), so a reader whose buffer covers fewer blocks than the stripe still
/// keeps every server busy and the pipeline never drains between its calls. A read anywhere else
/// resets the window: random reads fetch nothing ahead. Fetched-ahead blocks are clean cache
/// entries marked as such; the cache counts them, and those dropped unread
/// (<see cref="PfsCacheStats.ReadAheadBlocks"/>, <see cref="PfsCacheStats.ReadAheadUnused"/>).
/// Only read opens read ahead: while one is open no writer can change the file, so nothing fetched
/// ahead can be stale, and <see cref="DisposeAsync"/> (before the lock is given back) waits for
/// every fetch still in flight.
/// </summary>
internal sealed class ReadAhead : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly FileLayout _layout;
    private readonly BlockCache _cache;
    private readonly BlockTransport _transport;
    private readonly BlockWriter _writer;
    private readonly long _maxBlocks;
    private readonly long _batchBlocks;
    private readonly CancellationTokenSource _closing = new();
    private readonly List<(long First, long Last, Task Done)> _inFlight = [];
    private long _expectedOffset;
    private long _windowBlocks;
    private long _aheadEnd;
    private bool _closed;

    public ReadAhead(FileLayout layout, BlockCache cache, BlockTransport transport, BlockWriter writer, PfsClientOptions options)
    {
        _layout = layout;
        _cache = cache;
        _transport = transport;
        _writer = writer;
        var perServer = Math.Max(1, options.ReadAheadBytes / layout.BlockSize);
        _maxBlocks = Math.Min(perServer * layout.Width, cache.Capacity / 2);
        // Fetched in batches of at least a block per server (a quarter of the window if that is
        // more, and never more than a full call per server), so the calls read-ahead adds are no
        // smaller than the reader's own would be, yet the window can grow from one stripe.
        var blocksPerCall = Math.Max(1, options.MaxCallBytes / layout.BlockSize);
        _batchBlocks = Math.Min((long)blocksPerCall * layout.Width, Math.Max(layout.Width, _maxBlocks / 4));
    }

    /// <summary>Whether this file can read ahead at all: its window holds at least one stripe.</summary>
    public static bool Applies(FileLayout layout, BlockCache cache, PfsClientOptions options) =>
        options.ReadAheadBytes > 0 && Math.Min(Math.Max(1, options.ReadAheadBytes / layout.BlockSize) * layout.Width, cache.Capacity / 2) >= layout.Width;

    /// <summary>
    /// Called as a read of blocks <paramref name="first"/> to <paramref name="last"/> (bytes
    /// <paramref name="offset"/>, <paramref name="count"/> long) starts, with the file's size: starts
    /// the fetch of the blocks after it if the read is sequential, and returns what the read must
    /// wait for before it looks in the cache (fetches ahead of it that cover its blocks).
    /// </summary>
    public Task BeforeReadAsync(long offset, int count, long first, long last, long size)
    {
        List<Task>? wait = null;
        lock (_gate)
        {
            if (_closed)
            {
                return Task.CompletedTask;
            }

            var sequential = offset == _expectedOffset;
            _expectedOffset = offset + count;
            if (!sequential)
            {
                _windowBlocks = 0;
                _aheadEnd = 0;
            }
            else
            {
                _windowBlocks = _windowBlocks == 0 ? Math.Max(_layout.Width, last - first + 1) : _windowBlocks * 2;
                _windowBlocks = Math.Min(_windowBlocks, _maxBlocks);
                var fileEnd = (size + _layout.BlockSize - 1) / _layout.BlockSize;
                var from = Math.Max(_aheadEnd, last + 1);
                var to = Math.Min(last + _windowBlocks, fileEnd - 1);
                // Whole batches only, except the file's last blocks.
                if (to >= from && (to - from + 1 >= _batchBlocks || to == fileEnd - 1))
                {
                    _aheadEnd = to + 1;
                    _inFlight.Add((from, to, FetchAsync(from, to, size)));
                }
            }

            _inFlight.RemoveAll(f => f.Done.IsCompleted);
            foreach (var (from, to, done) in _inFlight)
            {
                if (from <= last && first <= to)
                {
                    (wait ??= []).Add(done);
                }
            }
        }

        return wait is null ? Task.CompletedTask : Task.WhenAll(wait);
    }

    /// <summary>Stops reading ahead and waits for the fetches in flight (they are cancelled).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task> pending;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            pending = _inFlight.ConvertAll(f => f.Done);
            _inFlight.Clear();
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
        _closing.Dispose();
    }

    // Never throws: a fetch ahead that fails is only a lost guess, and the read that wanted its
    // blocks fetches them itself (and reports what went wrong).
    private async Task FetchAsync(long from, long to, long size)
    {
        try
        {
            // Off the reader's path: it goes on with its own blocks meanwhile.
            await Task.Yield();
            var blocks = _cache.Missing(_layout.FileId, Range(from, to));
            var victims = new List<CachedBlock>();
            await _writer.ReadThenWriteBackAsync(victims, token => _transport.ReadAsync(_layout, blocks, (call, data) =>
            {
                var fetched = new List<(long Index, ReadOnlyMemory<byte> Bytes)>(call.BlockCount);
                for (var run = 0; run < call.Runs.Count; run++)
                {
                    for (var k = 0; k < call.Runs[run].Count; k++)
                    {
                        fetched.Add(PfsFile.BlockOf(_layout, call, run, k, data[run], size));
                    }
                }

                var found = new List<CachedBlock>();
                _cache.InsertClean(_layout, fetched, found, readAhead: true);
                lock (victims)
                {
                    victims.AddRange(found);
                }
            }, token), _closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static IEnumerable<long> Range(long from, long to)
    {
        for (var index = from; index <= to; index++)
        {
            yield return index;
        }
    }
}
