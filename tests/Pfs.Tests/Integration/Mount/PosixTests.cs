namespace Pfs.Tests.Integration.Mount;

/// <summary>The POSIX list of issue 12, item 3: real syscalls (python3's os module is a thin layer over them) on a real mount.</summary>
[Collection(MountCollection.Name)]
public sealed class PosixTests(MountFixture fixture)
{
    private string Dir(string hint) => Path.Combine(fixture.A.MountPoint, fixture.NewDirectory(hint));

    [Fact]
    public async Task CreateWithExclusiveRefusesAnExistingName()
    {
        var output = await Programs.PythonAsync("""
            import os, errno
            fd = os.open('f', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)
            os.write(fd, b'one'); os.close(fd)
            try:
                os.open('f', os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640); print('opened')
            except OSError as e:
                print(errno.errorcode[e.errno])
            print(open('f', 'rb').read().decode(), oct(os.stat('f').st_mode & 0o777))
            """, Dir("excl"));
        Assert.Equal("EEXIST\none 0o640\n", output);
    }

    [Fact]
    public async Task AppendAddsAtTheEndAcrossDescriptors()
    {
        var output = await Programs.PythonAsync("""
            import os
            with open('log', 'wb') as f: f.write(b'a')
            for part in (b'b', b'cd'):
                fd = os.open('log', os.O_WRONLY | os.O_APPEND)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, part); os.close(fd)
            print(open('log', 'rb').read().decode())
            """, Dir("append"));
        Assert.Equal("abcd\n", output);
    }

    [Fact]
    public async Task TruncateOnOpenAndFtruncateCutAndExtend()
    {
        var output = await Programs.PythonAsync("""
            import os
            with open('t', 'wb') as f: f.write(b'x' * 300_000)
            fd = os.open('t', os.O_WRONLY | os.O_TRUNC); print(os.fstat(fd).st_size); os.write(fd, b'short'); os.close(fd)
            print(open('t', 'rb').read())
            fd = os.open('t', os.O_RDWR)
            os.ftruncate(fd, 2); print(os.fstat(fd).st_size, os.pread(fd, 10, 0))
            os.ftruncate(fd, 600_000); print(os.fstat(fd).st_size, os.pread(fd, 4, 0), os.pread(fd, 3, 599_997))
            os.close(fd)
            os.truncate('t', 1); print(os.stat('t').st_size, open('t', 'rb').read())
            """, Dir("trunc"));
        Assert.Equal("0\nb'short'\n2 b'sh'\n600000 b'sh\\x00\\x00' b'\\x00\\x00\\x00'\n1 b's'\n", output);
    }

    [Fact]
    public async Task PreadAndPwriteWorkAtAnyOffset()
    {
        var output = await Programs.PythonAsync("""
            import os
            fd = os.open('p', os.O_CREAT | os.O_RDWR, 0o644)
            os.pwrite(fd, b'XYZ', 3_000_000)          # past several blocks: a hole before it
            os.pwrite(fd, b'abc', 5)
            os.pwrite(fd, b'Q', 262_143)             # the last byte of the first block
            os.fsync(fd)
            print(os.pread(fd, 3, 3_000_000), os.pread(fd, 4, 4), os.pread(fd, 2, 262_143), os.pread(fd, 8, 3_000_001))
            print(os.fstat(fd).st_size, os.pread(fd, 3, 1_000_000) == b'\0\0\0')
            os.close(fd)
            """, Dir("pwrite"));
        Assert.Equal("b'XYZ' b'\\x00abc' b'Q\\x00' b'YZ'\n3000003 True\n", output);
    }

    [Fact]
    public async Task FsyncPublishesToOtherClientsWhileTheFileStaysOpen()
    {
        var dir = fixture.NewDirectory("fsync");
        var onB = Path.Combine(fixture.B.MountPoint, dir, "s");
        var output = await Programs.PythonAsync($$"""
            import os, subprocess
            fd = os.open('s', os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b'durable'); os.fsync(fd)
            print(subprocess.run(['cat', '{{onB}}'], capture_output=True, timeout=30).stdout.decode())
            os.write(fd, b'!'); os.close(fd)
            print(subprocess.run(['cat', '{{onB}}'], capture_output=True, timeout=30).stdout.decode())
            """, Path.Combine(fixture.A.MountPoint, dir));
        Assert.Equal("durable\ndurable!\n", output);
    }

    [Fact]
    public async Task DirectoriesAreMadeListedAndRemoved()
    {
        var output = await Programs.PythonAsync("""
            import os, errno
            os.makedirs('a/b/c')
            for i in range(50): open(f'a/f{i:02}', 'w').close()
            names = sorted(os.listdir('a'))
            print(len(names), names[:3], os.stat('a').st_nlink)
            try: os.rmdir('a')
            except OSError as e: print(errno.errorcode[e.errno])
            os.rmdir('a/b/c'); os.rmdir('a/b')
            for i in range(50): os.unlink(f'a/f{i:02}')
            os.rmdir('a'); print(os.path.exists('a'), os.listdir('.'))
            """, Dir("dirs"));
        Assert.Equal("51 ['b', 'f00', 'f01'] 3\nENOTEMPTY\nFalse []\n", output);
    }

    [Fact]
    public async Task RenameReplacesTheTargetAndMovesDirectories()
    {
        var output = await Programs.PythonAsync("""
            import os, errno
            open('old', 'w').write('new bytes'); open('target', 'w').write('old bytes')
            ino = os.stat('old').st_ino
            os.rename('old', 'target')
            print(open('target').read(), os.stat('target').st_ino == ino, os.path.exists('old'))
            os.makedirs('d1/sub'); open('d1/sub/x', 'w').write('x'); os.mkdir('d2')
            os.rename('d1/sub', 'd2/moved'); print(open('d2/moved/x').read(), os.listdir('d1'))
            os.mkdir('full'); open('full/y', 'w').close()
            for a, b in (('d2', 'full'), ('target', 'd2'), ('d2', 'target'), ('d2', 'd2/moved/inside')):
                try: os.rename(a, b); print('renamed')
                except OSError as e: print(errno.errorcode[e.errno])
            """, Dir("rename"));
        Assert.Equal("new bytes True False\nx []\nENOTEMPTY\nEISDIR\nENOTDIR\nEINVAL\n", output);
    }

    [Fact]
    public async Task AnUnlinkedOpenFileKeepsWorkingUntilItsLastClose()
    {
        var output = await Programs.PythonAsync("""
            import os
            fd = os.open('u', os.O_CREAT | os.O_RDWR, 0o644)
            os.write(fd, b'before ')
            reader = os.open('u', os.O_RDONLY)
            os.unlink('u')
            print(os.path.exists('u'), os.fstat(fd).st_nlink)
            os.write(fd, b'after'); os.fsync(fd)
            print(os.pread(reader, 100, 0).decode(), os.pread(fd, 5, 7).decode())
            os.close(fd); print(os.pread(reader, 6, 0).decode()); os.close(reader)
            open('u', 'w').write('reborn'); print(open('u').read())
            """, Dir("unlink"));
        Assert.Equal("False 0\nbefore after after\nbefore\nreborn\n", output);
    }

    [Fact]
    public async Task StatShowsSizeModeLinksOwnerAndTimes()
    {
        var output = await Programs.PythonAsync("""
            import os, stat, time
            before = time.time() - 2
            with open('s', 'wb') as f: f.write(b'x' * 1234)
            os.link('s', 'hard'); os.mkdir('sub')
            st = os.stat('s')
            print(st.st_size, oct(stat.S_IMODE(st.st_mode)), stat.S_ISREG(st.st_mode), st.st_nlink, st.st_uid == os.getuid(), st.st_gid == os.getgid())
            print(all(before <= t <= time.time() + 2 for t in (st.st_mtime, st.st_ctime, st.st_atime)))
            d = os.stat('.'); print(stat.S_ISDIR(d.st_mode), d.st_nlink, os.stat('hard').st_ino == st.st_ino)
            """, Dir("stat"));
        Assert.Equal("1234 0o644 True 2 True True\nTrue\nTrue 3 True\n", output);
    }

    [Fact]
    public async Task ChmodChownAndUtimesStick()
    {
        var output = await Programs.PythonAsync("""
            import os
            open('c', 'w').write('c')
            os.chmod('c', 0o751); os.chown('c', 1234, 5678)
            os.utime('c', ns=(1_000_000_123_000_000, 2_000_000_456_000_000))
            st = os.stat('c')
            print(oct(st.st_mode & 0o7777), st.st_uid, st.st_gid, st.st_atime_ns, st.st_mtime_ns)
            os.utime('c'); print(abs(os.stat('c').st_mtime - __import__('time').time()) < 5)
            """, Dir("chmod"));
        Assert.Equal("0o751 1234 5678 1000000123000000 2000000456000000\nTrue\n", output);
    }

    [Fact]
    public async Task SymlinksAreMadeAndRead()
    {
        var output = await Programs.PythonAsync("""
            import os
            os.mkdir('t'); open('t/file', 'w').write('through the link')
            os.symlink('t/file', 'l'); os.symlink('/nowhere/at/all', 'dangling')
            print(os.readlink('l'), open('l').read(), os.path.islink('l'), os.lstat('l').st_size)
            print(os.readlink('dangling'), os.path.exists('dangling'))
            """, Dir("symlink"));
        Assert.Equal("t/file through the link True 6\n/nowhere/at/all False\n", output);
    }

    [Fact]
    public async Task MknodMakesARegularFileAndRefusesFifosSocketsAndDevicesWithEperm()
    {
        var output = await Programs.PythonAsync("""
            import os, errno, socket, stat
            os.mknod('plain', 0o640 | stat.S_IFREG)
            st = os.stat('plain'); print(stat.S_ISREG(st.st_mode), oct(st.st_mode & 0o777), st.st_size)
            open('plain', 'ab').write(b'data'); print(open('plain', 'rb').read().decode())
            def refused(make):
                try:
                    make(); return 'made'
                except OSError as e:
                    return errno.errorcode[e.errno]
            s = socket.socket(socket.AF_UNIX)
            print(refused(lambda: os.mkfifo('fifo')), refused(lambda: s.bind('sock')),
                  refused(lambda: os.mknod('dev', 0o600 | stat.S_IFCHR, os.makedev(1, 3))))
            print(sorted(os.listdir('.')))
            """, Dir("mknod"));
        Assert.Equal("True 0o640 0\ndata\nEPERM EPERM EPERM\n['plain']\n", output);
    }

    [Fact]
    public async Task StatfsShowsTheFileServersRealCapacity()
    {
        var output = await Programs.PythonAsync("""
            import os
            s = os.statvfs('.')
            print(s.f_frsize * s.f_blocks, s.f_frsize * s.f_bavail, s.f_namemax)
            """, fixture.A.MountPoint);
        var parts = output.Trim().Split(' ').Select(long.Parse).ToArray();
        // Every file server of the in-process cluster keeps its data on the same disk as the temp directory,
        // which therefore counts once, not once per server.
        var disk = new DriveInfo(fixture.Cluster.DataRoot);
        Assert.InRange(parts[0], disk.TotalSize - (4L << 20), disk.TotalSize + (4L << 20));
        Assert.InRange(parts[1], disk.AvailableFreeSpace - (1L << 30), disk.AvailableFreeSpace + (1L << 30));
        Assert.Equal(255, parts[2]);
    }

    [Fact]
    public async Task MmapReadsAndSharedWritesReachTheFile()
    {
        var output = await Programs.PythonAsync("""
            import mmap, os
            with open('m', 'wb') as f: f.write(b'0123456789' * 1000)
            fd = os.open('m', os.O_RDWR)
            m = mmap.mmap(fd, 10000, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            print(m[5:12])
            m[0:5] = b'HELLO'; m.flush(); m.close(); os.close(fd)
            print(open('m', 'rb').read(12))
            """, Dir("mmap"));
        Assert.Equal("b'5678901'\nb'HELLO5678901'\n", output);
    }

    [Fact]
    public async Task ContractErrorsSurfaceAsTheirErrno()
    {
        var output = await Programs.PythonAsync("""
            import os, errno
            open('file', 'w').close(); os.mkdir('dir'); os.mkdir('full'); open('full/x', 'w').close()
            def probe(call):
                try: call(); return 'ok'
                except OSError as e: return errno.errorcode[e.errno]
            print(probe(lambda: os.stat('missing')), probe(lambda: os.mkdir('file')), probe(lambda: os.stat('file/x')),
                  probe(lambda: open('dir', 'w')), probe(lambda: os.rmdir('full')), probe(lambda: os.unlink('dir')),
                  probe(lambda: os.rmdir('file')), probe(lambda: open('bad\\\\name', 'w')), probe(lambda: open('n' * 256, 'w')))
            """, Dir("errno"));
        Assert.Equal("ENOENT EEXIST ENOTDIR EISDIR ENOTEMPTY EISDIR ENOTDIR EINVAL ENAMETOOLONG\n", output);
    }
}
