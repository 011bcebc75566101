using System.Collections.Concurrent;
using System.Diagnostics;
using Pfs.Client;
using Pfs.LocalCluster;

namespace Pfs.Consistency;

/// <summary>
/// Several clients issue seeded random creates, opens, reads, writes, truncates, closes, deletes,
/// renames between two directories, unlinks of files they hold open, and directory listings, on a
/// few small files at once. Every read is checked against a model of the file under the lock
/// protocol, and every listing taken while nothing changed against the model's namespace; on a
/// mismatch the run stops with the seed and the recent history of every client.
/// </summary>
/// <remarks>
/// With <c>faults</c> it also kills and restarts file servers while it runs (see
/// <see cref="CheckerOptions.ParityBlocks"/>), and at the end reads every file back whole.
/// </remarks>
public sealed partial class ConsistencyChecker(CheckerConnect connect, CheckerOptions options, IServerFaults? faults = null)
{
    private const int HistoryKept = 64;
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);
    private readonly IServerFaults? _faults = faults is null || options.ParityBlocks >= 1 ? faults
        : throw new ArgumentException("server kills need files with parity (ParityBlocks >= 1)", nameof(options));
    private readonly FileModel[] _models = [.. Enumerable.Range(0, options.Files).Select(_ => new FileModel())];
    private readonly ConcurrentQueue<string> _history = new();
    private readonly ConcurrentDictionary<ulong, byte[]> _contents = new();
    private long _operations;
    private long _reads;
    private long _writes;
    private long _sessions;
    private long _faultCycles;

    /// <summary>A checker on an in-process cluster, without faults.</summary>
    public ConsistencyChecker(PfsCluster cluster, CheckerOptions options)
        : this((clientId, cacheBlocks, cancellationToken) => cluster.ConnectAsync(cacheBlocks: cacheBlocks, clientId: clientId, cancellationToken: cancellationToken), options)
    {
    }

    public async Task<CheckerResult> RunAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.TimeLimit);
        var clients = new List<PfsClient>();
        var verified = 0;
        var ran = false;
        try
        {
            for (var i = 0; i < options.Clients; i++)
            {
                clients.Add(await connect($"checker-{options.Seed}-{i}", options.CacheBlocks, cancellationToken).ConfigureAwait(false));
            }

            await clients[0].CreateDirectoryAsync(Root, cancellationToken).ConfigureAwait(false);
            for (var directory = 0; directory < Directories; directory++)
            {
                await clients[0].CreateDirectoryAsync(DirectoryPath(directory), cancellationToken).ConfigureAwait(false);
            }

            for (var file = 0; file < options.Files; file++)
            {
                await clients[0].CreateAsync(FileName(file), CreateOptions(file), cancellationToken).ConfigureAwait(false);
                _models[file].State = FileState.Present;
            }

            var workers = Task.WhenAll(clients.Select((client, i) => Task.Run(() => RunClientAsync(client, i, limit.Token), CancellationToken.None)));
            if (_faults is null)
            {
                await workers.ConfigureAwait(false);
            }
            else
            {
                verified = await RunWithFaultsAsync(_faults, workers, cancellationToken).ConfigureAwait(false);
            }

            ran = true;
        }
        finally
        {
            // Closing a client closes what it still holds open. After a clean run a failure there is a violation
            // (with the history); after a failed run it must not hide the failure that ended the run.
            PfsException? closeFailure = null;
            foreach (var client in clients)
            {
                try
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
                catch (PfsException ex)
                {
                    closeFailure ??= ex;
                }
            }

            if (ran && closeFailure is not null)
            {
                Fail(-1, $"closing a client failed: {closeFailure.Message}");
            }
        }

        return new CheckerResult(Interlocked.Read(ref _operations), _reads, _writes, _sessions, clock.Elapsed) { FaultCycles = _faultCycles, FilesVerified = verified };
    }

    private string Root => $"fsx-{options.Seed}";

    /// <summary>Files of 1, 2 and 3 data blocks per stripe, each with the run's parity.</summary>
    private PfsCreateOptions CreateOptions(int file) => new() { StripeWidth = (file % 3) + 1, ParityBlocks = options.ParityBlocks };

    private string DirectoryPath(int directory) => $"{Root}/d{directory}";

    private static string Leaf(int index) => $"f{index}";

    /// <summary>The file's path now (read under the model's lock while it may move).</summary>
    private string FileName(int index)
    {
        var model = _models[index];
        lock (model)
        {
            return $"{DirectoryPath(model.Directory)}/{Leaf(index)}";
        }
    }

    private async Task RunClientAsync(PfsClient client, int clientIndex, CancellationToken stop)
    {
        // Not HashCode.Combine: it is salted per process, and a seed must mean the same draws in every run.
        var random = new Random((options.Seed * 1000) + clientIndex);
        while (!stop.IsCancellationRequested && (Interlocked.Read(ref _operations) < options.Operations ||
                                                 (_faults is not null && Interlocked.Read(ref _faultCycles) < options.FaultCycles)))
        {
            var file = random.Next(options.Files);
            var roll = random.Next(100);
            var step = roll < 5 ? CreateAsync(client, clientIndex, file)
                : roll < 8 ? DeleteAsync(client, clientIndex, file)
                : roll < 12 ? RenameAsync(client, clientIndex, file)
                : roll < 14 ? ListAsync(client, clientIndex)
                : SessionAsync(client, clientIndex, file, write: roll < 50, random);
            try
            {
                // A hang is a failure too: no lock is ever held for long in this workload.
                await step.WaitAsync(OperationTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Fail(clientIndex, $"an operation on {FileName(file)} did not finish within {OperationTimeout.TotalSeconds} s");
            }
            catch (Exception ex) when (ex is not ConsistencyViolationException)
            {
                Fail(clientIndex, $"an operation on {FileName(file)} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private async Task CreateAsync(PfsClient client, int who, int file)
    {
        var model = _models[file];
        lock (model)
        {
            if (model.State != FileState.Absent)
            {
                return;
            }

            // Empty from the moment the create is sent: another client may open the new file, write
            // and close it before this call returns, and its bytes must not be reset afterwards.
            model.State = FileState.Creating;
        }

        var create = CreateOptions(file);
        await client.CreateAsync(FileName(file), create).ConfigureAwait(false);
        lock (model)
        {
            model.State = FileState.Present;
        }

        Record(who, $"create {FileName(file)} {create.StripeWidth}+{create.ParityBlocks}");
    }

    private async Task DeleteAsync(PfsClient client, int who, int file)
    {
        var model = _models[file];
        lock (model)
        {
            if (model.State != FileState.Present)
            {
                return;
            }

            model.State = FileState.Deleting;
        }

        await client.DeleteAsync(FileName(file)).ConfigureAwait(false);
        lock (model)
        {
            model.State = FileState.Absent;
        }

        Record(who, $"delete {FileName(file)}");
    }

    private async Task SessionAsync(PfsClient client, int who, int file, bool write, Random random)
    {
        var model = _models[file];
        (FileState State, long Changes) before;
        lock (model)
        {
            before = (model.State, model.Changes);
        }

        PfsFile handle;
        var path = FileName(file);
        try
        {
            handle = await client.OpenAsync(path, write ? PfsOpenMode.Write : PfsOpenMode.Read).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.NotFound)
        {
            lock (model)
            {
                if (before.State is FileState.Present && model.Changes == before.Changes)
                {
                    Fail(who, $"open {FileName(file)} said NotFound, but the file exists and nobody deleted it");
                }
            }

            Record(who, $"open {FileName(file)} -> NotFound");
            return;
        }

        Interlocked.Increment(ref _sessions);
        Record(who, $"open {FileName(file)} {(write ? "W" : "R")}");

        // What this open holds is a file (an inode), not a name: a name may have been unlinked and
        // created again since the open was sent. Holding the lock, that file's committed bytes cannot
        // change under us (a writer changes them only while it holds the lock, a delete waits for us);
        // a file never seen before was just created, so it is empty.
        var inode = (await handle.StatAsync().ConfigureAwait(false)).Inode;
        var expected = _contents.TryGetValue(inode, out var committed) ? committed.ToArray() : [];

        var steps = random.Next(1, 8);
        var unlinked = false;
        for (var step = 0; step < steps; step++)
        {
            if (step == 1 && !unlinked && random.Next(12) == 0)
            {
                // The name goes; this handle keeps reading and writing the file until its close.
                unlinked = await UnlinkOpenAsync(client, who, file).ConfigureAwait(false);
            }

            if (write && random.Next(10) == 0)
            {
                var length = random.Next(options.MaxFileBytes + 1);
                await handle.SetLengthAsync(length).ConfigureAwait(false);
                Array.Resize(ref expected, length);
                Record(who, $"truncate {FileName(file)} to {length}");
            }
            else if (write && random.Next(2) == 0)
            {
                var offset = random.Next(options.MaxFileBytes);
                var length = random.Next(1, Math.Min(1500, options.MaxFileBytes - offset + 1));
                var data = new byte[length];
                random.NextBytes(data);
                await handle.WriteAsync(data, offset).ConfigureAwait(false);
                if (offset + length > expected.Length)
                {
                    Array.Resize(ref expected, offset + length);
                }

                data.CopyTo(expected, offset);
                Interlocked.Increment(ref _writes);
                Record(who, $"write {FileName(file)} [{offset}, +{length})");
            }
            else
            {
                var offset = random.Next(options.MaxFileBytes + 512);
                var length = random.Next(1, 3000);
                var buffer = new byte[length];
                var read = await handle.ReadAsync(buffer, offset).ConfigureAwait(false);
                var wanted = Math.Clamp(expected.Length - offset, 0, length);
                Interlocked.Increment(ref _reads);
                Record(who, $"read {FileName(file)} [{offset}, +{length}) -> {read}");
                if (read != wanted)
                {
                    Fail(who, $"read of {FileName(file)} at {offset} returned {read} bytes, the model says {wanted} (size {expected.Length})");
                }

                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != expected[offset + i])
                    {
                        Fail(who, $"read of {FileName(file)}: byte {offset + i} is {buffer[i]}, the model says {expected[offset + i]}");
                    }
                }
            }

            CountOperation();
        }

        if (write)
        {
            // Published before the close releases the lock: the next holder must see it.
            _contents[inode] = expected;
        }

        await handle.CloseAsync().ConfigureAwait(false);
        CountOperation();
        Record(who, $"close {FileName(file)}");
    }

    private void Record(int who, string what)
    {
        _history.Enqueue($"{Who(who)}: {what}");
        while (_history.Count > HistoryKept * options.Clients && _history.TryDequeue(out _))
        {
        }
    }

    /// <summary>Client <paramref name="who"/>, or the fault injector and repairer for -1.</summary>
    private static string Who(int who) => who < 0 ? "faults" : $"client {who}";

    private void Fail(int who, string what)
    {
        Record(who, "VIOLATION: " + what);
        throw new ConsistencyViolationException(
            $"seed {options.Seed}: {Who(who)}: {what}{Environment.NewLine}recent history (oldest first):{Environment.NewLine}  " +
            string.Join(Environment.NewLine + "  ", _history));
    }
}
