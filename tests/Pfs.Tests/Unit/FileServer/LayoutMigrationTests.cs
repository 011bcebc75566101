using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// A data directory written by the v1 server (TestData/v1-cluster.tar.gz: three file servers after
// `pfs put` of four files, with EXPECTED.sha256) moves to the generation-keyed layout at start.
public sealed class LayoutMigrationTests : IDisposable
{
    // What the v1 store recorded for each file (pfs:file:<name> in the archive's Redis AOF): its
    // generation, size, block size and stripe width (servers fs0, fs1, ... in stripe order).
    private static readonly (string Name, ulong Generation, long Size, int BlockSize, int Width)[] Files =
    [
        ("big.bin", 0x01a2324599f60001, 300_000, 65536, 3),
        ("hello.txt", 0x01a2324599f60002, 22, 512, 2),
        ("empty.bin", 0x01a2324599f60003, 0, 1024 * 1024, 1),
        ("mid-w1.bin", 0x01a2324599f60006, 7000, 4096, 1),
    ];

    private readonly TempDirectory _directory = new();

    public LayoutMigrationTests()
    {
        var archive = Path.Join(AppContext.BaseDirectory, "TestData", "v1-cluster.tar.gz");
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, _directory.FullPath, overwriteFiles: false);
    }

    private string Data => Path.Join(_directory.FullPath, "data");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task V1DataMovesToStripesAndEveryFileReadsBackByGenerationWithItsBytes()
    {
        // Act
        var logger = new LinesLogger();
        var stores = Enumerable.Range(0, 3).Select(i => new BlockStore(Path.Join(Data, $"fs{i}"), logger)).ToArray();

        // Assert
        Assert.Equal(
            ["stripes", "stripes/01", "stripes/01/01a2324599f60001", "stripes/01/01a2324599f60001.epoch", "stripes/02", "stripes/02/01a2324599f60002",
             "stripes/02/01a2324599f60002.epoch", "stripes/03", "stripes/03/01a2324599f60003.epoch", "stripes/06", "stripes/06/01a2324599f60006", "stripes/06/01a2324599f60006.epoch"],
            Tree(Path.Join(Data, "fs0")));
        Assert.Equal(["stripes", "stripes/01", "stripes/01/01a2324599f60001", "stripes/01/01a2324599f60001.epoch"], Tree(Path.Join(Data, "fs2")));
        Assert.Contains("Moved the v1 data layout to stripes/: 7 files of 4 objects from 4 name directories (0 were already in place", logger.Lines[0], StringComparison.Ordinal);
        await AssertEveryFileReadsBackAsync(stores);
    }

    [Fact]
    public async Task AMigrationStoppedHalfwayIsFinishedByTheNextStart()
    {
        // Arrange: as a stopped run leaves fs0: big.bin's object already moved; hello.txt's object in both
        // places (the target is the real one); an unfinished temporary beside mid-w1.bin's marks
        var fs0 = Path.Join(Data, "fs0");
        var old = Path.Join(fs0, "objects");
        Directory.CreateDirectory(Path.Join(fs0, "stripes", "01"));
        Directory.CreateDirectory(Path.Join(fs0, "stripes", "02"));
        File.Move(Path.Join(old, "big.bin", "01a2324599f60001"), Path.Join(fs0, "stripes", "01", "01a2324599f60001"));
        File.Copy(Path.Join(old, "hello.txt", "01a2324599f60002"), Path.Join(fs0, "stripes", "02", "01a2324599f60002"));
        await File.WriteAllTextAsync(Path.Join(old, "hello.txt", "01a2324599f60002"), "not the bytes to keep");
        await File.WriteAllTextAsync(Path.Join(old, "mid-w1.bin", "01a2324599f60006.epoch.0123456789abcdef0123456789abcdef.tmp"), "half");

        // Act
        var logger = new LinesLogger();
        var first = new BlockStore(fs0, logger);
        var again = new BlockStore(fs0, logger);
        var stores = new[] { again, new BlockStore(Path.Join(Data, "fs1"), logger), new BlockStore(Path.Join(Data, "fs2"), logger) };

        // Assert
        Assert.NotNull(first);
        Assert.Contains("Moved the v1 data layout to stripes/: 5 files of 4 objects from 4 name directories (1 were already in place from an interrupted run, 1 unfinished temporary files deleted, 0 files left unplaced)", logger.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Tree(fs0), entry => entry.StartsWith("objects", StringComparison.Ordinal) || entry.EndsWith(".tmp", StringComparison.Ordinal));
        await AssertEveryFileReadsBackAsync(stores);
    }

    [Fact]
    public void AFileTheMigrationCannotPlaceIsLeftWhereItIsAndEverythingElseMoves()
    {
        // Arrange
        var fs1 = Path.Join(Data, "fs1");
        File.WriteAllText(Path.Join(fs1, "objects", "big.bin", "notes.txt"), "an operator's note");

        // Act
        var logger = new LinesLogger();
        _ = new BlockStore(fs1, logger);

        // Assert
        Assert.Equal(
            ["objects", "objects/big.bin", "objects/big.bin/notes.txt", "stripes", "stripes/01", "stripes/01/01a2324599f60001", "stripes/01/01a2324599f60001.epoch",
             "stripes/02", "stripes/02/01a2324599f60002.epoch"],
            Tree(fs1));
        Assert.Contains(logger.Lines, line => line.Contains("notes.txt", StringComparison.Ordinal));
    }

    private async Task AssertEveryFileReadsBackAsync(BlockStore[] stores)
    {
        var expected = File.ReadAllLines(Path.Join(Data, "EXPECTED.sha256"))
            .Select(line => line.Split("  "))
            .ToDictionary(parts => parts[1], parts => parts[0]);
        var staged = stores.Select(NewStaged).ToArray();
        var reader = new ObjectAccess(ulong.MaxValue, false, []);
        foreach (var (name, generation, size, blockSize, width) in Files)
        {
            // Any name will do: objects are found by generation.
            var key = new ObjectKey($"renamed/{name}", generation);
            var bytes = new byte[size];
            for (long block = 0; block * blockSize < size; block++)
            {
                var server = (int)(block % width);
                var length = (int)Math.Min(blockSize, size - (block * blockSize));
                using var result = await staged[server].ReadAsync(key, reader, [new ObjectRange(block / width * blockSize, length)]).AsTask().WaitAsync(TestTimeout);
                Assert.Equal(length, result.Data[0].Length);
                result.Data[0].CopyTo(bytes.AsMemory((int)(block * blockSize)));
            }

            Assert.Equal(expected[name], Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    private static string[] Tree(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(entry => Path.GetRelativePath(root, entry).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    private sealed class LinesLogger : ILogger<BlockStore>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
