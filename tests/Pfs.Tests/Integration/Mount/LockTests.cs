using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pfs.MetaServer.Locking;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// fcntl and flock locks between processes on two mounts of one cluster (two hosts, as far as the locks know), taken by
/// real processes: python3's fcntl module and util-linux's flock. Each holder is a process of its own that keeps its lock
/// until the test closes its standard input. An fcntl write lock needs a descriptor open for writing, and a file open
/// for writing on one mount is a Pfs Write open that no other mount can open meanwhile; so fcntl write locks meet on
/// one mount, and read locks, flock locks (which any descriptor may take) and waits meet across mounts.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class LockTests(MountFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // Each holder takes its lock on 'lockfile', says so, and holds it until its stdin closes: an fcntl write lock on
    // bytes 0-99, an fcntl read lock on them, and an exclusive flock on a read-only descriptor (flock needs no write access).
    private static readonly string FcntlWriteHolder = HolderScript("os.O_RDWR", "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 100, 0)");
    private static readonly string FcntlReadHolder = HolderScript("os.O_RDONLY", "fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 100, 0)");
    private static readonly string FlockHolder = HolderScript("os.O_RDONLY", "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)");

    private const string FlockWaiter = """
        import fcntl, os
        fd = os.open('lockfile', os.O_RDONLY)
        print('waiting', flush=True)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            print('granted', flush=True)
        except KeyboardInterrupt:
            print('interrupted', flush=True)
        """;

    [Fact]
    public async Task AnFcntlWriteLockRefusesAnotherProcessWithEagainAndGetlkNamesItsHolder()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        var (onA, _) = Directories("fcntl");
        await using var holder = await Holder.StartAsync(FcntlWriteHolder, onA);

        // A conflicting range is refused at once; F_GETLK names the lock in the way and its process (on this host); another range is free.
        var output = await Programs.PythonAsync("""
            import errno, fcntl, os, struct
            fd = os.open('lockfile', os.O_RDWR)
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 50)
                print('granted')
            except OSError as e:
                print('refused', errno.errorcode[e.errno])
            found = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi4x', fcntl.F_RDLCK, os.SEEK_SET, 50, 10, 0))
            kind, _, start, length, pid = struct.unpack('hhqqi4x', found)
            print(kind == fcntl.F_WRLCK, start, length, pid)
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 100)
            print('other range granted')
            """, onA, Timeout);

        Assert.Equal($"refused EAGAIN\nTrue 0 100 {holder.Pid}\nother range granted\n", output);

        // The holder's close lets go of its lock: the same request is granted now.
        await holder.ReleaseAsync();
        Assert.Equal("granted\n", await Programs.PythonAsync("""
            import fcntl, os
            fd = os.open('lockfile', os.O_RDWR)
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 50)
            print('granted')
            """, onA, Timeout));
    }

    [Fact]
    public async Task AnFcntlWaitThatWouldDeadlockIsRefusedWithEdeadlkAndTheOtherWaiterIsGrantedWhenItGoes()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        var (onA, _) = Directories("fcntl-deadlock");
        var inode = await InodeAsync(onA);

        // Each takes one byte, then (told to) waits for the other's.
        static string Crossing(int mine, int theirs) => $"""
            import errno, fcntl, os, sys
            fd = os.open('lockfile', os.O_RDWR)
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, {mine})
            print('locked', flush=True)
            sys.stdin.readline()
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX, 1, {theirs})
                print('granted', flush=True)
            except OSError as e:
                print('EDEADLK' if e.errno == errno.EDEADLK else errno.errorcode[e.errno], flush=True)
            sys.stdin.read()
            """;
        await using var first = await Holder.StartAsync(Crossing(0, 1), onA);
        await using var second = await Holder.StartAsync(Crossing(1, 0), onA);
        await first.SendLineAsync();
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(inode) == 1, "the first process waits for the second's byte", Timeout);

        await second.SendLineAsync();

        Assert.Equal("EDEADLK", await second.NextLineAsync());
        Assert.False(first.HasExited);
        await second.ReleaseAsync();
        Assert.Equal("granted", await first.NextLineAsync());
        await first.ReleaseAsync();
    }

    [Fact]
    public async Task AnFcntlReadLockOnOneMountIsSharedWithTheOtherAndGetlkThereDescribesIt()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        var (onA, onB) = Directories("fcntl-read");
        await using var holder = await Holder.StartAsync(FcntlReadHolder, onA);

        // Another host's process id means nothing here: it reads 0.
        var output = await Programs.PythonAsync("""
            import fcntl, os, struct
            fd = os.open('lockfile', os.O_RDONLY)
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 10, 50)
            print('shared')
            found = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi4x', fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
            kind, _, start, length, pid = struct.unpack('hhqqi4x', found)
            print(kind == fcntl.F_RDLCK, start, length, pid)
            """, onB, Timeout);

        Assert.Equal("shared\nTrue 0 100 0\n", output);
    }

    [Fact]
    public async Task AWaitingFlockOnOneMountIsGrantedWhenTheHolderOnTheOtherCloses()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        var (onA, onB) = Directories("flock-wait");
        await using var holder = await Holder.StartAsync(FlockHolder, onA);
        var inode = await InodeAsync(onA);

        await using var waiter = await Holder.StartAsync(FlockWaiter, onB, ready: "waiting");
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(inode) == 1, "the process on B waits for the lock", Timeout);
        Assert.False(waiter.HasExited, "flock must wait while the other mount holds the lock");

        await holder.ReleaseAsync();

        Assert.Equal("granted", await waiter.NextLineAsync());
        await waiter.ReleaseAsync();
        // The waiter's own last close let go of its lock too.
        await Wait.UntilAsync(() => RangeLocks.Held(inode).Count == 0, "no lock is left on the file", Timeout);
    }

    [Fact]
    public async Task AWaitInterruptedBySigintEndsWithNothingHeldOrQueued()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        var (onA, onB) = Directories("flock-intr");
        await using var holder = await Holder.StartAsync(FlockHolder, onA);
        var inode = await InodeAsync(onA);
        await using var waiter = await Holder.StartAsync(FlockWaiter, onB, ready: "waiting");
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(inode) == 1, "the process on B waits for the lock", Timeout);

        // Python's SIGINT handler raises KeyboardInterrupt once the interrupted flock returns (EINTR).
        await waiter.SignalAsync("INT");

        Assert.Equal("interrupted", await waiter.NextLineAsync());
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(inode) == 0, "no waiter is left", Timeout);
        Assert.Equal([(0UL, FuseLockEnd)], RangeLocks.Held(inode).Select(l => (l.Start, l.End)));
        Assert.Single(RangeLocks.Held(inode));
    }

    [Fact]
    public async Task AFlockOnOneMountExcludesFlockOnBothMountsButNoFcntlLock()
    {
        Assert.True(Programs.Has("python3"), "python3 is not installed (.ci/run installs it)");
        Assert.True(Programs.Has("flock"), "flock (util-linux) is not installed");
        var (onA, onB) = Directories("flock");
        await using var holder = await Holder.StartAsync(FlockHolder, onA);

        // flock -n exits with -E's code when the lock is taken elsewhere; an fcntl lock on the same file is no conflict.
        var refused = await Programs.RunAsync("flock", ["-n", "-E", "75", "lockfile", "true"], onB, timeout: Timeout);
        Assert.True(refused.ExitCode == 75, $"flock -n on mount B while A holds it: {refused}");
        var sameMount = await Programs.RunAsync("flock", ["-n", "-E", "75", "lockfile", "true"], onA, timeout: Timeout);
        Assert.True(sameMount.ExitCode == 75, $"flock -n on mount A by another process: {sameMount}");
        Assert.Equal("granted\n", await Programs.PythonAsync("""
            import fcntl, os
            fd = os.open('lockfile', os.O_RDONLY)
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            print('granted')
            """, onB, Timeout));

        await holder.ReleaseAsync();

        var granted = await Programs.RunAsync("flock", ["-n", "-E", "75", "lockfile", "true"], onB, timeout: Timeout);
        Assert.True(granted.ExitCode == 0, $"flock -n on mount B after A closed: {granted}");
    }

    // The kernel's OFFSET_MAX: where a lock to the end of the file ends, as the mount passes it on.
    private const ulong FuseLockEnd = long.MaxValue;

    private static string HolderScript(string openFlags, string takeLock) => $"""
        import fcntl, os, sys
        fd = os.open('lockfile', {openFlags})
        {takeLock}
        print('locked', flush=True)
        sys.stdin.read()
        os.close(fd)
        """;

    private RangeLockTable RangeLocks => fixture.Cluster.MetaServices.GetRequiredService<RangeLockTable>();

    /// <summary>
    /// A directory on both mounts with an empty 'lockfile' in it, made and closed first: a file created by an open is
    /// a Write open until that closes, and another mount's open would wait for it (a writer excludes everyone).
    /// </summary>
    private (string OnA, string OnB) Directories(string hint)
    {
        var name = fixture.NewDirectory(hint);
        File.WriteAllBytes(Path.Combine(fixture.A.MountPoint, name, "lockfile"), []);
        return (Path.Combine(fixture.A.MountPoint, name), Path.Combine(fixture.B.MountPoint, name));
    }

    private static async Task<ulong> InodeAsync(string directory) =>
        ulong.Parse(await Programs.PythonAsync("import os; print(os.stat('lockfile').st_ino)", directory, Timeout), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A python3 process that says it is ready on its first line, then waits for its stdin to close.</summary>
    private sealed class Holder : IAsyncDisposable
    {
        private readonly Process _process;

        private Holder(Process process) => _process = process;

        public static async Task<Holder> StartAsync(string script, string directory, string ready = "locked")
        {
            var start = new ProcessStartInfo("python3")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            var holder = new Holder(Process.Start(start)!);
            var line = await holder.NextLineAsync();
            if (line != ready)
            {
                var error = await holder._process.StandardError.ReadToEndAsync().WaitAsync(Timeout);
                await holder.DisposeAsync();
                Assert.Fail($"the holder said '{line}' instead of '{ready}': {error}");
            }

            return holder;
        }

        public int Pid => _process.Id;

        public bool HasExited => _process.HasExited;

        public async Task<string?> NextLineAsync() => await _process.StandardOutput.ReadLineAsync().WaitAsync(Timeout);

        public async Task SendLineAsync()
        {
            await _process.StandardInput.WriteLineAsync();
            await _process.StandardInput.FlushAsync();
        }

        public async Task SignalAsync(string signal)
        {
            var sent = await Programs.RunAsync("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: Timeout);
            Assert.True(sent.ExitCode == 0, $"kill -{signal}: {sent}");
        }

        /// <summary>Closes its stdin and waits for it to exit (closing the file, which lets go of the lock).</summary>
        public async Task ReleaseAsync()
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(Timeout);
            Assert.True(_process.ExitCode == 0, $"the holder exited with {_process.ExitCode}: {await _process.StandardError.ReadToEndAsync()}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(Timeout);
            }

            _process.Dispose();
        }
    }
}
