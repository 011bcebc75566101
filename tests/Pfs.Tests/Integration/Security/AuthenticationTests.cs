using Google.Protobuf;
using Grpc.Core;
using Pfs.Client;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;
using Pfs.Protocol.Transport;
using Pfs.Tests.Integration.Cli;
using Pfs.Tests.Integration.Mount;

namespace Pfs.Tests.Integration.Security;

/// <summary>Once an identity exists, every metadata call needs a key the cluster knows, and stays within its scope and mode.</summary>
[Collection(SecureClusterCollection.Name)]
public sealed class AuthenticationTests(SecureClusterFixture fixture)
{
    private static async Task<PfsErrorCode> FailureOf(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<PfsException>(call);
        return ex.Code;
    }

    private async Task<string> RootKeyAsync() => await fixture.AddIdentityAsync(fixture.UniqueName("root"));

    [Fact]
    public async Task AClientWithoutAKeyIsDeniedOnceAnIdentityExists()
    {
        await RootKeyAsync();

        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => fixture.ConnectAsync(key: null)));
    }

    [Fact]
    public async Task AKeyTheClusterNeverSawIsDenied()
    {
        var name = fixture.UniqueName("known");
        await fixture.AddIdentityAsync(name);
        using var impostor = ClientKey.Create(name);

        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => fixture.ConnectAsync(impostor.ToString())));
    }

    [Fact]
    public async Task ARevokedKeyStopsWorkingAtOnce()
    {
        // Arrange: a client that works
        var name = fixture.UniqueName("leaving");
        var key = await fixture.AddIdentityAsync(name);
        await using var client = await fixture.ConnectAsync(key);
        var file = fixture.UniqueName("revoked-file");
        await client.CreateAsync(file, 1);

        // Act
        var revoke = await fixture.AdminAsync("revoke", name);

        // Assert: its next call, and any new connection, are refused
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => client.StatAsync(file)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => fixture.ConnectAsync(key)));
    }

    [Fact]
    public async Task ARevokedClientsLocksGoWithItsLeaseInsteadOfLockingEveryoneElseOut()
    {
        // Arrange: a client of the identity holds a file's write lock, with writes not yet closed
        var name = fixture.UniqueName("locker");
        var key = await fixture.AddIdentityAsync(name);
        await using var root = await fixture.ConnectAsync(await RootKeyAsync());
        var file = fixture.UniqueName("locked-file");
        await root.CreateAsync(file, 1);
        await using var locker = await fixture.ConnectAsync(key);
        var held = await locker.OpenAsync(file, PfsOpenMode.Write);
        await held.WriteAsync(new byte[] { 1, 2, 3 }, 0);

        // Act: revoke it. Before, its notice stream stayed up, so its lease never ran out: the lock was held until the
        // revoked client went away by itself, and every other client's open of the file waited.
        var revoke = await fixture.AdminAsync("revoke", name);

        // Assert: another client gets the lock once the revoked one's lease is over, and the uncommitted writes never land
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (await root.OpenAsync(file, PfsOpenMode.Write, deadline.Token))
        {
        }

        Assert.Equal(0, (await root.StatAsync(file)).Size);
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(async () => await held.CloseAsync()));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(async () => await held.AbortAsync()));
    }

    [Fact]
    public async Task AScopedClientWorksInsideItsScopeOnly()
    {
        // Arrange
        await using var root = await fixture.ConnectAsync(await RootKeyAsync());
        var mine = fixture.UniqueName("mine");
        var theirs = fixture.UniqueName("theirs");
        await root.CreateDirectoryAsync(mine);
        await root.CreateDirectoryAsync(theirs);
        await root.CreateAsync($"{theirs}/secret", 1);
        await using var scoped = await fixture.ConnectAsync(await fixture.AddIdentityAsync(fixture.UniqueName("scoped"), "/" + mine));

        // Act / Assert: inside works
        await scoped.CreateAsync($"{mine}/a", 1);
        await using (var file = await scoped.OpenAsync($"/{mine}/a", PfsOpenMode.Write))
        {
            await file.WriteAsync("hello"u8.ToArray(), 0);
        }

        Assert.Equal(5, (await scoped.StatAsync($"{mine}/a")).Size);
        Assert.Single(await scoped.ListAsync(mine).ToListAsync());
        // The way down to the scope may be stat'ed, not listed.
        await scoped.StatAsync("/");
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.ListAsync("/").ToListAsync().AsTask()));

        // Outside: every kind of call, and every way out
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.OpenAsync($"{theirs}/secret", PfsOpenMode.Read)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.StatAsync($"{theirs}/secret")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.CreateAsync($"{theirs}/planted", 1)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.DeleteAsync($"{theirs}/secret")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.RenameAsync($"{mine}/a", $"{theirs}/a")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.RenameAsync($"{theirs}/secret", $"{mine}/stolen")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.RenameAsync(mine, $"{theirs}/moved")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.CreateAsync(mine + "x", 1)));
        Assert.Equal(PfsErrorCode.InvalidArgument, await FailureOf(() => scoped.OpenAsync($"{mine}/../{theirs}/secret", PfsOpenMode.Read)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.CreateHardLinkAsync($"{theirs}/secret", $"{mine}/hard")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.CreateHardLinkAsync($"{mine}/a", $"{theirs}/hard")));
    }

    [Fact]
    public async Task ASymbolicLinkDoesNotLeadOutOfAScope()
    {
        // Arrange: a link inside the scope that names a file outside it
        await using var root = await fixture.ConnectAsync(await RootKeyAsync());
        var mine = fixture.UniqueName("linkscope");
        var theirs = fixture.UniqueName("linktarget");
        await root.CreateDirectoryAsync(mine);
        await root.CreateDirectoryAsync(theirs);
        await root.CreateAsync($"{theirs}/secret", 1);
        await root.CreateSymbolicLinkAsync($"{mine}/link", $"/{theirs}/secret");
        await using var scoped = await fixture.ConnectAsync(await fixture.AddIdentityAsync(fixture.UniqueName("linker"), "/" + mine));

        // Act: the link can be read, and following it means asking for the target's path
        var link = await scoped.StatAsync($"{mine}/link");

        // Assert
        Assert.Equal(PfsEntryKind.SymbolicLink, link.Kind);
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => scoped.OpenAsync($"{theirs}/secret", PfsOpenMode.Read)));
    }

    [Fact]
    public async Task AReadOnlyClientReadsButChangesNothing()
    {
        // Arrange
        await using var root = await fixture.ConnectAsync(await RootKeyAsync());
        var name = fixture.UniqueName("readonly-file");
        await root.CreateAsync(name, 1);
        await using (var file = await root.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync("bytes"u8.ToArray(), 0);
        }

        await using var reader = await fixture.ConnectAsync(await fixture.AddIdentityAsync(fixture.UniqueName("reader"), "/", readOnly: true));

        // Act / Assert
        await using (var file = await reader.OpenAsync(name, PfsOpenMode.Read))
        {
            var buffer = new byte[5];
            Assert.Equal(5, await file.ReadAsync(buffer, 0));
            Assert.Equal("bytes"u8.ToArray(), buffer);
        }

        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => reader.OpenAsync(name, PfsOpenMode.Write)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => reader.CreateAsync(name + "-new", 1)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => reader.DeleteAsync(name)));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => reader.RenameAsync(name, name + "-moved")));
        Assert.Equal(PfsErrorCode.PermissionDenied, await FailureOf(() => reader.CreateDirectoryAsync(name + "-dir")));
    }

    // Before, the mount was rw and every change got EACCES ("Permission denied"); tools and people expect EROFS.
    [Fact]
    public async Task AReadOnlyIdentitysMountIsMountedReadOnly()
    {
        // Arrange: a file to read, and a mount of a read-only identity next to one of a full one
        await using var root = await fixture.ConnectAsync(await RootKeyAsync());
        var name = fixture.UniqueName("ro-mount-file");
        await root.CreateAsync(name, 1);
        await using (var file = await root.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync("bytes"u8.ToArray(), 0);
        }

        var readOnly = await MountAt.StartAsync(fixture.Cluster.MetaServerAddress, key: await fixture.AddIdentityAsync(fixture.UniqueName("ro-mount"), "/", readOnly: true));
        var full = await MountAt.StartAsync(fixture.Cluster.MetaServerAddress, key: await RootKeyAsync());
        try
        {
            // Act
            var read = await File.ReadAllTextAsync(Path.Combine(readOnly.MountPoint, name));
            var write = Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(readOnly.MountPoint, name), "x"));
            var create = Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(readOnly.MountPoint, name + "-new"), "x"));
            var mkdir = Assert.ThrowsAny<IOException>(() => Directory.CreateDirectory(Path.Combine(readOnly.MountPoint, name + "-dir")));
            var remove = Assert.ThrowsAny<IOException>(() => File.Delete(Path.Combine(readOnly.MountPoint, name)));
            await File.AppendAllTextAsync(Path.Combine(full.MountPoint, name), "+");

            // Assert: reads work, every change is EROFS (30), and the kernel lists the mount ro; the full one is rw
            const int Erofs = 30;
            Assert.Equal("bytes", read);
            Assert.All([write, create, mkdir, remove], ex => Assert.Equal(Erofs, ex.HResult));
            Assert.Equal("ro", MountFlags(readOnly.MountPoint)[0]);
            Assert.Equal("rw", MountFlags(full.MountPoint)[0]);
            Assert.Equal("bytes+", await File.ReadAllTextAsync(Path.Combine(readOnly.MountPoint, name)));
        }
        finally
        {
            await MountAt.StopAsync(readOnly);
            await MountAt.StopAsync(full);
        }
    }

    private static string[] MountFlags(string mountPoint) =>
        File.ReadLines("/proc/mounts").Select(line => line.Split(' ')).Single(fields => fields[1] == mountPoint)[3].Split(',');

    [Fact]
    public async Task TheToolUsesAKeyFromTheFlagOrTheEnvironmentAndRefusesAnOpenKeyFile()
    {
        // Arrange
        var key = await RootKeyAsync();
        var name = fixture.UniqueName("tool-file");
        var keyFile = Path.Combine(fixture.Cluster.DataRoot, name + ".key");
        File.WriteAllText(keyFile, key);
        SecureClusterFixture.Chmod(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Act
        var withoutKey = await CliRunner.RunAsync(fixture.Cluster, "mkdir", name);
        var withFlag = await CliRunner.RunAsync(fixture.Cluster, "--key", key, "mkdir", name);
        var withFile = await CliRunner.RunAsync(fixture.Cluster, "--key", keyFile, "ls", name);
        var withVariable = await CliRunner.RunRawAsync(["--meta", fixture.Cluster.MetaServerAddress.ToString(), "stat", name],
            new Dictionary<string, string?> { ["PFS_KEY"] = key });
        SecureClusterFixture.Chmod(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var openFile = await CliRunner.RunAsync(fixture.Cluster, "--key", keyFile, "ls", name);

        // Assert
        CliRunner.AssertFailed(withoutKey, 1, "requires a client key");
        Assert.True(withFlag.ExitCode == 0, withFlag.ToString());
        Assert.True(withFile.ExitCode == 0, withFile.ToString());
        Assert.True(withVariable.ExitCode == 0, withVariable.ToString());
        CliRunner.AssertFailed(openFile, 1, "chmod 600");
    }

    [Fact]
    public async Task AdministrationNeedsTheClusterKey()
    {
        var otherKey = Path.Combine(fixture.Cluster.DataRoot, fixture.UniqueName("other") + ".key");
        File.WriteAllText(otherKey, Pfs.Protocol.CapabilitySigner.NewKey());

        var result = await CliRunner.RunAsync(fixture.Cluster, "admin", "--cluster-key-file", otherKey, "add", fixture.UniqueName("intruder"));
        var list = await fixture.AdminAsync("list");

        CliRunner.AssertFailed(result, 1, "the cluster key given is not this cluster's (--cluster-key-file, or $PFS_CLUSTER_KEY_FILE)");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain("intruder", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdministrationMistakesAreOneLineEachWithTheRightExitCode()
    {
        var missing = Path.Combine(fixture.Cluster.DataRoot, "no-such-dir", "cluster.key");

        var unknown = await fixture.AdminAsync("revoke", fixture.UniqueName("nobody"));
        var badName = await fixture.AdminAsync("add", "bad name");
        var noKey = await CliRunner.RunAsync(fixture.Cluster, "admin", "--cluster-key-file", missing, "list");

        // A name the cluster does not have is a failure (1), not a usage error (2); a malformed name is a usage error
        // in the tool's words, not .NET's "(Parameter 'identity')"; a missing key file is named in full.
        CliRunner.AssertFailed(unknown, 1, "there is no identity 'nobody");
        CliRunner.AssertFailed(badName, 2, "identity name 'bad name': ");
        Assert.DoesNotContain("Parameter", badName.Stderr, StringComparison.Ordinal);
        CliRunner.AssertFailed(noKey, 2, $"cluster key file '{missing}' does not exist");
    }

    [Fact]
    public async Task AListShowsIdentitiesButNoKeys()
    {
        var name = fixture.UniqueName("listed");
        var key = await fixture.AddIdentityAsync(name, "/projects/x", readOnly: true);

        var list = await fixture.AdminAsync("list");

        Assert.True(list.ExitCode == 0, list.ToString());
        var line = Assert.Single(list.Stdout.Split('\n'), l => l.Contains(name, StringComparison.Ordinal));
        Assert.Contains("/projects/x", line, StringComparison.Ordinal);
        Assert.Contains("read-only", line, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Split('.')[2], list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplayedStatementIsRefused()
    {
        // Arrange: a statement seen on the wire
        var name = fixture.UniqueName("replayed");
        Assert.True(ClientKey.TryParse(await fixture.AddIdentityAsync(name), out var key, out _));
        using var channel = PfsChannel.Create(fixture.Cluster.MetaServerAddress, new PfsChannelOptions());
        var auth = new AuthService.AuthServiceClient(channel);
        var statement = key!.Prove(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Act
        var first = await auth.AuthenticateAsync(statement);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await auth.AuthenticateAsync(statement));

        // Assert: the first works, as a token on a direct call; the replay does not
        Assert.False(first.Token.IsEmpty);
        var meta = new MetaService.MetaServiceClient(channel);
        await meta.StatAsync(new StatRequest { Name = string.Empty }, new Metadata { { IdentityProof.TokenHeader, first.Token.ToByteArray() } });
        Assert.Equal(StatusCode.PermissionDenied, replay.StatusCode);
        key.Dispose();
    }

    [Fact]
    public async Task ATamperedTokenIsRefused()
    {
        Assert.True(ClientKey.TryParse(await RootKeyAsync(), out var key, out _));
        using var channel = PfsChannel.Create(fixture.Cluster.MetaServerAddress, new PfsChannelOptions());
        var token = SessionToken.Parser.ParseFrom((await new AuthService.AuthServiceClient(channel).AuthenticateAsync(key!.Prove(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))).Token);
        token.ExpiresUnixMs += 3_600_000;

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await new MetaService.MetaServiceClient(channel)
            .StatAsync(new StatRequest(), new Metadata { { IdentityProof.TokenHeader, token.ToByteArray() } }));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        key.Dispose();
    }
}
