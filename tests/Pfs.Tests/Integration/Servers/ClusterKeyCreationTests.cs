using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;

namespace Pfs.Tests.Integration.Servers;

/// <summary>
/// Servers started by hand at once on a machine with no <c>~/.pfs/cluster.key</c> yet: each may find
/// no key and create one, and none may read another's half-written key.
/// </summary>
public sealed partial class ClusterKeyCreationTests
{
    private const int Servers = 12;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task FileServersStartedTogetherOnAFreshHomeAllStartWithOneKey()
    {
        // Arrange: a home directory with no .pfs in it, and no key in the environment.
        var home = Directory.CreateTempSubdirectory("pfs-home-");
        var processes = new List<Process>();
        try
        {
            // Act: start them all before any has had time to create the key.
            for (var i = 0; i < Servers; i++)
            {
                processes.Add(StartFileServer(home.FullName, Path.Join(home.FullName, $"fs{i}")));
            }

            var addresses = await Task.WhenAll(processes.Select(ListenAddressAsync)).WaitAsync(Timeout);

            // Assert: one whole key, readable by its owner only, no candidate files left beside it...
            var keyDirectory = Path.Join(home.FullName, ".pfs");
            Assert.Equal(["cluster.key"], Directory.GetFiles(keyDirectory).Select(Path.GetFileName));
            var keyFile = Path.Join(keyDirectory, "cluster.key");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            var key = CapabilitySigner.ParseKey(await File.ReadAllTextAsync(keyFile));

            // ...and every server checks capabilities with it: one signed with it passes, one signed with another key does not.
            var signer = new CapabilitySigner(key);
            var stranger = new CapabilitySigner(CapabilitySigner.ParseKey(CapabilitySigner.NewKey()));
            foreach (var address in addresses)
            {
                using var channel = PfsChannel.Create(address);
                var client = new FileService.FileServiceClient(channel);
                await client.CommitObjectAsync(Commit(signer), deadline: DateTime.UtcNow.AddSeconds(30));
                var refused = await Assert.ThrowsAsync<RpcException>(
                    () => client.CommitObjectAsync(Commit(stranger), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
                Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
            }
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                process.Dispose();
            }

            home.Delete(recursive: true);
        }
    }

    private static CommitObjectRequest Commit(CapabilitySigner signer)
    {
        var id = new ObjectId { Name = "nothing-staged", Generation = 1 };
        return new CommitObjectRequest { Object = id, Capability = signer.SignCommit(id.Name, id.Generation, 1, "pfs-metaserver") };
    }

    private static Process StartFileServer(string home, string dataDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Pfs.FileServer.dll"));
        foreach (var arg in new[] { "--port", "0", "--bind", "127.0.0.1", "--data-dir", dataDirectory })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = home;
        start.Environment.Remove("Pfs__ClusterKey");
        start.Environment.Remove("Pfs__ClusterKeyFile");
        return Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
    }

    /// <summary>Reads the server's output until it says where it listens; fails with its output if it exits first.</summary>
    private static async Task<Uri> ListenAddressAsync(Process process)
    {
        var stderr = process.StandardError.ReadToEndAsync();
        var output = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            output.Add(line);
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                // Keep draining its output so it never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return new Uri(match.Groups[1].Value);
            }
        }

        await process.WaitForExitAsync();
        var errors = await stderr;
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"the file server exited with {process.ExitCode} before listening: {string.Join(" | ", output)} {errors}"));
    }

    [GeneratedRegex(@"listening on (\S+),")]
    private static partial Regex ListeningLine();
}
