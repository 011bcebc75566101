using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Pfs.Fuse.Native;

/// <summary>Makes and removes the mount: mount(2) on an open /dev/fuse as root, fusermount3 otherwise.</summary>
internal static class Mounter
{
    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(30);

    public static FuseMountMethod Resolve(FuseMountMethod method) =>
        method != FuseMountMethod.Auto ? method : Libc.GetEuid() == 0 ? FuseMountMethod.Direct : FuseMountMethod.Fusermount;

    /// <summary>Mounts and answers the open device descriptor that serves the mount.</summary>
    public static async Task<int> MountAsync(string mountPoint, FuseMountOptions options, FuseMountMethod method, CancellationToken cancellationToken)
    {
        if (!File.Exists(options.DevicePath))
            throw new FuseMountException($"{options.DevicePath} is missing: load the fuse module (modprobe fuse) or give the container --device /dev/fuse");
        return method == FuseMountMethod.Direct
            ? MountDirect(mountPoint, options)
            : await MountWithFusermountAsync(mountPoint, options, cancellationToken).ConfigureAwait(false);
    }

    private static int MountDirect(string mountPoint, FuseMountOptions options)
    {
        var fd = Libc.Open(options.DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0)
            throw new FuseMountException($"cannot open {options.DevicePath}: {Libc.Describe(Marshal.GetLastPInvokeError())}");

        var data = string.Join(',', new[]
        {
            $"fd={fd.ToString(CultureInfo.InvariantCulture)}",
            "rootmode=40000",
            $"user_id={Libc.GetEuid().ToString(CultureInfo.InvariantCulture)}",
            $"group_id={Libc.GetEgid().ToString(CultureInfo.InvariantCulture)}",
            $"max_read={options.MaxWrite.ToString(CultureInfo.InvariantCulture)}",
        }.Concat(CommonOptions(options)));

        var flags = Libc.MS_NOSUID | Libc.MS_NODEV | (options.ReadOnly ? Libc.MS_RDONLY : 0);
        if (Libc.Mount(options.FsName, mountPoint, "fuse." + options.Subtype, flags, data) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Libc.Close(fd);
            var hint = errno == Errno.EPERM ? "; mounting needs root (CAP_SYS_ADMIN), or use fusermount3" : "";
            throw new FuseMountException($"mount(2) of {mountPoint} failed: {Libc.Describe(errno)}{hint}");
        }
        return fd;
    }

    private static IEnumerable<string> CommonOptions(FuseMountOptions options)
    {
        if (options.DefaultPermissions)
            yield return "default_permissions";
        if (options.AllowOther)
            yield return "allow_other";
    }

    /// <summary>
    /// The fusermount3 protocol: the helper opens /dev/fuse, mounts it, and passes the descriptor
    /// back with SCM_RIGHTS over the socket named by _FUSE_COMMFD, then exits.
    /// </summary>
    private static async Task<int> MountWithFusermountAsync(string mountPoint, FuseMountOptions options, CancellationToken cancellationToken)
    {
        var helper = FindHelper() ?? throw new FuseMountException(
            "fusermount3 is not installed (Debian package fuse3); it is needed to mount without root");

        var (local, remote) = SocketPair();
        try
        {
            // Only the helper's end is inherited.
            Libc.Fcntl(local, Libc.F_SETFD, Libc.FD_CLOEXEC);
            var mountOptions = string.Join(',', new[]
            {
                $"fsname={options.FsName}",
                $"subtype={options.Subtype}",
                $"max_read={options.MaxWrite.ToString(CultureInfo.InvariantCulture)}",
            }.Concat(CommonOptions(options)).Concat(options.ReadOnly ? ["ro"] : []));
            var start = new ProcessStartInfo(helper)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            start.ArgumentList.Add("-o");
            start.ArgumentList.Add(mountOptions);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(mountPoint);
            start.Environment["_FUSE_COMMFD"] = remote.ToString(CultureInfo.InvariantCulture);

            using var process = Process.Start(start) ?? throw new FuseMountException($"{helper} did not start");
            Libc.Close(remote);
            remote = -1;
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).WaitAsync(HelperTimeout, cancellationToken).ConfigureAwait(false);
            var message = (await stderr.ConfigureAwait(false)).Trim();
            // The descriptor, if sent, is queued on the socket by now.
            var fd = ReceiveDescriptor(local);
            if (process.ExitCode != 0 || fd < 0)
            {
                if (fd >= 0)
                    Libc.Close(fd);
                var reason = message.Length > 0 ? message.ReplaceLineEndings(" ") : $"exit code {process.ExitCode}";
                throw new FuseMountException($"{Path.GetFileName(helper)} could not mount {mountPoint}: {reason}");
            }
            Libc.Fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
            return fd;
        }
        finally
        {
            Libc.Close(local);
            if (remote >= 0)
                Libc.Close(remote);
        }
    }

    private static unsafe (int Local, int Remote) SocketPair()
    {
        var fds = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM, 0, fds) != 0)
            throw new FuseMountException($"socketpair failed: {Libc.Describe(Marshal.GetLastPInvokeError())}");
        return (fds[0], fds[1]);
    }

    private static unsafe int ReceiveDescriptor(int socket)
    {
        byte data = 0;
        var iov = new Libc.IoVec { Base = &data, Length = 1 };
        const int controlSize = 24; // CMSG_SPACE(sizeof(int)) on LP64
        var control = stackalloc byte[controlSize];
        new Span<byte>(control, controlSize).Clear();
        var message = new Libc.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = controlSize };
        nint received;
        do
        {
            received = Libc.RecvMsg(socket, &message, Libc.MSG_DONTWAIT);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
        if (received <= 0 || message.ControlLen < (nuint)sizeof(Libc.CmsgHdr) + sizeof(int))
            return -1;
        var header = (Libc.CmsgHdr*)control;
        if (header->Level != Libc.SOL_SOCKET || header->Type != Libc.SCM_RIGHTS)
            return -1;
        return *(int*)(control + sizeof(Libc.CmsgHdr));
    }

    /// <summary>Detaches the mount: umount2(MNT_DETACH) for a direct mount, <c>fusermount3 -u -z</c> otherwise. Answers null or the reason it failed.</summary>
    public static async Task<string?> UnmountAsync(string mountPoint, FuseMountMethod method)
    {
        if (method == FuseMountMethod.Direct)
        {
            if (Libc.Umount2(mountPoint, Libc.MNT_DETACH) == 0)
                return null;
            var errno = Marshal.GetLastPInvokeError();
            // EINVAL: not a mount point any more (somebody else unmounted it).
            return errno == Errno.EINVAL ? null : $"umount2: {Libc.Describe(errno)}";
        }
        var helper = FindHelper();
        if (helper is null)
            return "fusermount3 is not installed";
        var start = new ProcessStartInfo(helper) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add("-z");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(mountPoint);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(HelperTimeout).ConfigureAwait(false);
        var message = (await stderr.ConfigureAwait(false)).Trim();
        return process.ExitCode == 0 ? null : $"{Path.GetFileName(helper)} -u: {message}";
    }

    private static string? FindHelper()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in new[] { "fusermount3", "fusermount" })
        {
            foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/bin").Append("/usr/bin"))
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
