using Pfs.Client;

namespace Pfs.Consistency;

/// <summary>
/// Server kills while the clients run: one file server at a time is killed, left down for a stretch of
/// operations, started again (sometimes with its data directory wiped) and the files are repaired before
/// the next kill. Every client call must still succeed with the model's bytes. At the end every file is
/// read back whole with M servers killed, which only full redundancy survives.
/// </summary>
public sealed partial class ConsistencyChecker
{
    private const int FaultSeedSalt = 7919;
    private static readonly TimeSpan RepairTimeout = TimeSpan.FromSeconds(90);

    private async Task<int> RunWithFaultsAsync(IServerFaults faults, Task workers, CancellationToken cancellationToken)
    {
        var random = new Random((options.Seed * FaultSeedSalt) + 1);
        var repairer = await connect($"checker-{options.Seed}-repair", options.CacheBlocks, cancellationToken).ConfigureAwait(false);
        await using (repairer.ConfigureAwait(false))
        {
            while (!workers.IsCompleted)
            {
                await UntilOperationsAsync(options.OperationsPerFault, workers).ConfigureAwait(false);
                if (workers.IsCompleted)
                {
                    break;
                }

                var victim = random.Next(faults.FileServers);
                var emptied = random.Next(3) == 0;
                // One fault at a time: whatever became degraded since the last repair is rebuilt before the next
                // kill. Writes skip a server that failed them within the last few seconds (DownServerRetry), so a
                // file written just after a restart may be degraded with every server up; a kill then would be a
                // second fault, more than M = 1 covers.
                await RepairAllAsync(repairer, cancellationToken).ConfigureAwait(false);
                Record(-1, $"kill file server {victim}");
                await faults.KillFileServerAsync(victim).ConfigureAwait(false);
                await UntilOperationsAsync(options.OperationsPerFault, workers).ConfigureAwait(false);
                await faults.StartFileServerAsync(victim, emptied).ConfigureAwait(false);
                Record(-1, $"start file server {victim}{(emptied ? " with its data directory emptied" : string.Empty)}");
                await RepairAllAsync(repairer, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _faultCycles);
            }

            await workers.ConfigureAwait(false);
            await RepairAllAsync(repairer, cancellationToken).ConfigureAwait(false);
            return await VerifyWithServersDownAsync(faults, repairer, random, cancellationToken).ConfigureAwait(false);
        }
    }

    // The one waiter for a count of operations, set by UntilOperationsAsync and completed by the operation that reaches it.
    private readonly Lock _progressGate = new();
    private (long Target, TaskCompletionSource Reached)? _progressWaiter;

    /// <summary>Waits (bounded by the workers' end) until the clients have done <paramref name="count"/> more operations.</summary>
    private async Task UntilOperationsAsync(long count, Task workers)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_progressGate)
        {
            _progressWaiter = (Interlocked.Read(ref _operations) + count, reached);
        }

        await Task.WhenAny(workers, reached.Task).ConfigureAwait(false);
        lock (_progressGate)
        {
            _progressWaiter = null;
        }
    }

    /// <summary>Counts one operation, and lets the waiter go once its count is reached.</summary>
    private void CountOperation()
    {
        var done = Interlocked.Increment(ref _operations);
        TaskCompletionSource? reached = null;
        lock (_progressGate)
        {
            if (_progressWaiter is { } waiter && done >= waiter.Target)
            {
                reached = waiter.Reached;
                _progressWaiter = null;
            }
        }

        reached?.TrySetResult();
    }

    /// <summary>
    /// Repairs until no file is degraded: a session that lost a shard while the server was down may close
    /// (and mark its file degraded) after a pass has listed the files, so one pass is not always the end.
    /// </summary>
    private async Task RepairAllAsync(PfsClient repairer, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(RepairTimeout);
        var passes = 0;
        while (true)
        {
            PfsRepairReport report;
            try
            {
                report = await repairer.RepairAsync(cancellationToken: deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Fail(-1, $"a repair pass did not finish within {RepairTimeout.TotalSeconds} s");
                throw;
            }

            passes++;
            Record(-1, $"repair pass {passes}: {report.FilesRepaired} file(s), {report.BytesRebuilt} bytes rebuilt");
            if (report.Failures.Count > 0)
            {
                Fail(-1, "repair failed: " + string.Join("; ", report.Failures.Select(f => $"{f.Name}: {f.Reason}")));
            }

            if ((await repairer.GetClusterStatusAsync(deadline.Token).ConfigureAwait(false)).DegradedFiles == 0)
            {
                return;
            }

            if (deadline.IsCancellationRequested)
            {
                Fail(-1, $"files were still degraded after {passes} repair passes in {RepairTimeout.TotalSeconds} s");
            }
        }
    }

    /// <summary>
    /// Kills M servers, reads every file whole against the model, and starts them again. A file the run
    /// left deleted is created and written first (all servers up), so every file is read.
    /// </summary>
    private async Task<int> VerifyWithServersDownAsync(IServerFaults faults, PfsClient reader, Random random, CancellationToken cancellationToken)
    {
        for (var index = 0; index < options.Files; index++)
        {
            if (_models[index].State == FileState.Absent)
            {
                await reader.CreateAsync(FileName(index), CreateOptions(index), cancellationToken).ConfigureAwait(false);
                _models[index].State = FileState.Present;
                var bytes = new byte[random.Next(1, options.MaxFileBytes + 1)];
                random.NextBytes(bytes);
                var file = await reader.OpenAsync(FileName(index), PfsOpenMode.Write, cancellationToken).ConfigureAwait(false);
                await using (file.ConfigureAwait(false))
                {
                    await file.WriteAsync(bytes, 0, cancellationToken).ConfigureAwait(false);
                    _contents[(await file.StatAsync(cancellationToken).ConfigureAwait(false)).Inode] = bytes;
                }

                Record(-1, $"create {FileName(index)} and write {bytes.Length} bytes to verify it too");
            }
        }

        var down = Enumerable.Range(0, faults.FileServers).OrderBy(_ => random.Next()).Take(options.ParityBlocks).ToArray();
        foreach (var index in down)
        {
            await faults.KillFileServerAsync(index).ConfigureAwait(false);
        }

        Record(-1, $"verify with file servers {string.Join(", ", down)} down");
        var verified = 0;
        try
        {
            for (var index = 0; index < options.Files; index++)
            {
                if (_models[index].State != FileState.Present)
                {
                    continue;
                }

                var file = await reader.OpenAsync(FileName(index), PfsOpenMode.Read, cancellationToken).ConfigureAwait(false);
                await using (file.ConfigureAwait(false))
                {
                    var inode = (await file.StatAsync(cancellationToken).ConfigureAwait(false)).Inode;
                    var expected = _contents.TryGetValue(inode, out var committed) ? committed : [];
                    var actual = new byte[expected.Length + 512];
                    var read = 0;
                    while (read < actual.Length)
                    {
                        var n = await file.ReadAsync(actual.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
                        if (n == 0)
                        {
                            break;
                        }

                        read += n;
                    }

                    if (read != expected.Length || !actual.AsSpan(0, read).SequenceEqual(expected))
                    {
                        Fail(-1, $"{FileName(index)} read back whole with servers down is {read} bytes that differ from the model's {expected.Length}");
                    }
                }

                verified++;
            }
        }
        finally
        {
            foreach (var index in down)
            {
                await faults.StartFileServerAsync(index, emptied: false).ConfigureAwait(false);
            }
        }

        return verified;
    }
}
