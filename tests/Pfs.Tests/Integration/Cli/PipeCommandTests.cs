using System.Diagnostics;
using Pfs.Client;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Mount;

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
    [Fact]
    public async Task OutputRedirectedToAFileLandsAtTheDescriptorsOffsetSoTheNextWriterAddsAfterIt()
    {
        // Arrange: two files, and a script that writes them with other output around them into one file, as
        // `{ ...; } > out` and `cmd > log 2>&1` do. Before, the tool wrote at a position of its own (pwrite) and left the
        // descriptor's offset where it was, so the next writer wrote over its output.
        var first = fixture.UniqueName("redirect-a");
        var second = fixture.UniqueName("redirect-b");
        await using (var client = await fixture.Cluster.ConnectAsync())
        {
            foreach (var (name, text) in new[] { (first, "first file\n"), (second, "second file\n") })
            {
                await client.CreateAsync(name, stripeWidth: 1);
                await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
                await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), 0);
            }
        }

        var output = Path.Combine(Path.GetTempPath(), $"pfs-redirect-{Guid.NewGuid():N}");
        try
        {
            // Act
            var run = await Programs.RunAsync("bash", ["-c", """
                pfs() { dotnet "$1" --meta "$2" "${@:3}"; }
                { echo start; pfs "$1" "$2" cat "$3"; pfs "$1" "$2" get "$4" -; echo end; } > "$5"
                """, "bash", Path.Combine(AppContext.BaseDirectory, "Pfs.Cli.dll"), fixture.Cluster.MetaServerAddress.ToString(),
                first, second, output], timeout: TimeSpan.FromSeconds(120));

            // Assert
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("start\nfirst file\nsecond file\nend\n", await File.ReadAllTextAsync(output));
        }
        finally
        {
            File.Delete(output);
        }
    }
}
