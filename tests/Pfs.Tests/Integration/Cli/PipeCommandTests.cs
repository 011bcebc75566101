using System.Diagnostics;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary>
/// Issue 16 item 5: <c>pfs cat</c> and <c>pfs get NAME -</c> as real processes on a real pipe whose
/// reader (<c>head</c>) leaves early. They stop at the first write nobody reads, quietly, with the
/// status a program stopped by SIGPIPE shows (141), rather than reading the rest of the file for nobody.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PipeCommandTests(ClusterFixture fixture)
{
    private const long Size = 512L * 1024 * 1024;

    [Theory]
    [InlineData("cat")]
    [InlineData("get")]
    public async Task ACommandWritingToAPipeStopsQuietlyWhenItsReaderGoesAway(string command)
    {
        // Arrange: a 512 MiB file (one byte written at its end; the rest reads as zeros)
        var name = fixture.UniqueName($"pipe-{command}");
        await using (var client = await fixture.Cluster.ConnectAsync())
        {
            await client.CreateAsync(name, stripeWidth: 2);
            await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
            await file.WriteAsync(new byte[] { 1 }, Size - 1);
        }

        string[] args = command == "cat" ? ["cat", name] : ["get", name, "-"];

        // Act: pfs ... | head -c 1000 | wc -c, with pfs's own exit status
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("dotnet \"$1\" --meta \"$2\" \"${@:3}\" | head -c 1000 | wc -c; echo \"${PIPESTATUS[0]}\"");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Pfs.Cli.dll"));
        start.ArgumentList.Add(fixture.Cluster.MetaServerAddress.ToString());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // Assert: head got its 1000 bytes; pfs said nothing and exited 141 (it would be 0 had it
        // written all 512 MiB into a pipe nobody read)
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1000", "141"], lines);
        Assert.Equal(string.Empty, await stderr);
    }
}
