using BenchmarkDotNet.Attributes;
using Pfs.MetaServer.Locking;

namespace Pfs.Benchmarks.Micro;

/// <summary>The metadata server's reader-writer lock table, uncontended and shared.</summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class LockTableBenchmarks
{
    private readonly LockTable _table = new();
    private readonly LockLease[] _leases = new LockLease[16];

    [Benchmark]
    public async Task<bool> ReadAcquireRelease()
    {
        using var lease = await _table.AcquireAsync(1, LockKind.Read);
        return lease.IsReleased;
    }

    [Benchmark]
    public async Task<bool> WriteAcquireRelease()
    {
        using var lease = await _table.AcquireAsync(2, LockKind.Write);
        return lease.IsReleased;
    }

    /// <summary>16 readers share one file, then all release (per reader).</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    public async Task SixteenReaders()
    {
        for (var i = 0; i < _leases.Length; i++)
        {
            _leases[i] = await _table.AcquireAsync(3, LockKind.Read);
        }

        foreach (var lease in _leases)
        {
            lease.Release();
        }
    }

    /// <summary>A writer queued behind a reader is granted when the reader leaves (the hand-off path).</summary>
    [Benchmark]
    public async Task WriterHandOff()
    {
        var reader = await _table.AcquireAsync(4, LockKind.Read);
        var writer = _table.AcquireAsync(4, LockKind.Write);
        reader.Release();
        (await writer).Release();
    }
}
