using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>Many processes' worth of requests at once, across the reader threads, and listings with attributes.</summary>
public sealed class ConcurrencyTests
{
    [FuseFact]
    public async Task ParallelWritersAndReadersEachSeeTheirOwnBytes()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        const int Workers = 8, FilesEach = 12, Size = 300_000;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < FilesEach; i++)
            {
                var path = mounted.PathOf($"w{worker}-{i}.bin");
                var data = new byte[Size];
                random.NextBytes(data);
                await File.WriteAllBytesAsync(path, data);
                // Read back through a fresh descriptor, at an odd offset, while the others write.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                stream.Position = 12_345;
                var back = new byte[Size - 12_345];
                await stream.ReadExactlyAsync(back);
                Assert.Equal(data[12_345..], back);
            }
        })));

        Assert.Equal(Workers * FilesEach, Directory.GetFiles(mounted.Root).Length);
    }

    [FuseFact]
    public async Task ListingsWithReadDirPlusCarryEveryEntrysAttributes()
    {
        var options = MountedFileSystem.DefaultOptions with { ReadDirPlus = true };
        await using var mounted = await MountedFileSystem.StartAsync(options: options);
        Directory.CreateDirectory(mounted.PathOf("d"));
        for (var i = 0; i < 500; i++)
            await File.WriteAllBytesAsync(mounted.PathOf($"d/f{i:D3}"), new byte[i]);
        // Drop the names the creates left in the kernel's cache, so the listing has to carry them.
        for (var i = 0; i < 500; i++)
            mounted.Mount.NotifyInvalidateEntry(mounted.Fs.NodeAt("d"), $"f{i:D3}");

        var listing = (await Programs.OutputOfAsync("ls", "-l", "--time-style=+", mounted.PathOf("d")))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(fields => fields[^1], fields => long.Parse(fields[4]));

        Assert.True(mounted.Mount.Kernel.Flags.HasFlag(FuseInitFlags.DoReadDirPlus));
        Assert.Contains(mounted.Fs.Io, r => r.Operation == "readdirplus");
        Assert.Equal(500, listing.Count);
        Assert.All(Enumerable.Range(0, 500), i => Assert.Equal(i, listing[$"f{i:D3}"]));
    }
}
