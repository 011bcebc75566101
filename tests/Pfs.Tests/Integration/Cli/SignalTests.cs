using System.Diagnostics;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary>
/// SIGTERM (what kill, timeout, systemd and CI runners send) cancels a command as Ctrl+C does: the partial copy is
/// removed, one line says so, and the exit status is 143.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(ClusterCollection.Name)]
public sealed class SignalTests(ClusterFixture fixture) : IDisposable
{
    private readonly LocalFiles _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task SigtermDuringPutRecursiveRemovesThePartialTreeAndExits143()
    {
        // Arrange: a tree of many small files, copied one at a time, so the copy is still going when the signal comes
        var source = Directory.CreateDirectory(_local.PathOf("many"));
        for (var i = 0; i < 5000; i++)
        {
            await File.WriteAllBytesAsync(Path.Join(source.FullName, $"f{i:0000}"), [(byte)i]);
        }

        var directory = fixture.UniqueName("term");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateDirectoryAsync(directory);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Pfs.Cli.dll"), "--meta", fixture.Cluster.MetaServerAddress.ToString(),
                     "put", "-r", "-j", "1", source.FullName, $"{directory}/tree" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            // Act: once the hidden partial tree holds some files, SIGTERM
            await Wait.UntilAsync(async () => await client.ListAsync(directory).AnyAsync()
                && await client.ListAsync((await client.ListAsync(directory).FirstAsync()).Name).CountAsync() >= 100,
                "the partial tree fills", TimeSpan.FromSeconds(60));
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // Assert: cancelled, said in one line, and nothing left in the directory (neither the tree nor its hidden partial copy)
        Assert.True(process.ExitCode == 143, $"exit {process.ExitCode}; stdout: {await stdout}; stderr: {await stderr}");
        Assert.Equal("pfs: cancelled", (await stderr).Trim());
        Assert.Empty(await client.ListAsync(directory).ToListAsync());
    }
}
