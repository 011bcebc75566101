using System.IO.Compression;
using System.Text;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.Client;

/// <summary><see cref="PfsFile.AsStream"/> checked against a <see cref="MemoryStream"/> doing the same things.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PfsFileStreamTests(ClusterFixture fixture)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task RandomSeeksReadsAndWritesMatchAMemoryStream(int seed)
    {
        var name = fixture.UniqueName("stream-random");
        // A small cache and small blocks, so operations cross blocks, servers and evictions.
        await using var client = await fixture.Cluster.ConnectAsync(cacheBlocks: 8);
        await client.CreateAsync(name, stripeWidth: 3, blockSize: 512);
        var reference = new MemoryStream();
        var random = new Random(seed);
        var log = new List<string>();

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        await using (var stream = file.AsStream())
        {
            for (var step = 0; step < 300; step++)
            {
                var what = $"step {step} (seed {seed})";
                switch (random.Next(6))
                {
                    case 0:
                        var offset = random.Next(-2000, 2000);
                        var origin = (SeekOrigin)random.Next(3);
                        if (Target(reference, offset, origin) >= 0)
                        {
                            Assert.Equal(reference.Seek(offset, origin), stream.Seek(offset, origin));
                        }

                        break;
                    case 1:
                        var position = random.Next(0, 12_000);
                        reference.Position = position;
                        stream.Position = position;
                        break;
                    case 2 or 3:
                        var wanted = random.Next(0, 3000);
                        var expected = new byte[wanted];
                        var actual = new byte[wanted];
                        log.Add($"read {wanted} at {reference.Position}");
                        var expectedCount = reference.Read(expected);
                        var actualCount = random.Next(2) == 0
                            ? await stream.ReadAsync(actual)
                            : stream.Read(actual, 0, wanted);
                        Assert.True(expectedCount == actualCount, $"{what}: read {actualCount}, expected {expectedCount}");
                        var same = expected.AsSpan(0, expectedCount).CommonPrefixLength(actual.AsSpan(0, actualCount));
                        Assert.True(same == expectedCount, $"{what}: bytes differ at +{same} of a read at {reference.Position - expectedCount}; last operations: {string.Join("; ", log.TakeLast(8))}");
                        break;
                    default:
                        var data = TestData.Bytes(random.Next(0, 2500), seed: step);
                        log.Add($"write {data.Length} at {reference.Position}");
                        reference.Write(data);
                        if (random.Next(2) == 0)
                        {
                            await stream.WriteAsync(data);
                        }
                        else
                        {
                            stream.Write(data.AsSpan());
                        }

                        break;
                }

                Assert.True(reference.Position == stream.Position, $"{what}: position {stream.Position}, expected {reference.Position}");
                Assert.True(reference.Length == stream.Length, $"{what}: length {stream.Length}, expected {reference.Length}");
            }
        }

        // What the writer left behind, read by a fresh client through a read-only stream.
        await using var reader = await fixture.Cluster.ConnectAsync();
        await using var readFile = await reader.OpenAsync(name, PfsOpenMode.Read);
        await using var readStream = readFile.AsStream();
        var copy = new MemoryStream();
        await readStream.CopyToAsync(copy);
        Assert.Equal(reference.ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task AStreamOverAFileOpenForReadIsReadOnly()
    {
        var name = fixture.UniqueName("stream-readonly");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        await using var stream = file.AsStream();

        Assert.True(stream.CanRead);
        Assert.True(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write([1, 2, 3]));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await stream.WriteAsync(new byte[] { 1 }));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(0));
    }

    [Fact]
    public async Task SeekingBeforeTheStartThrowsAndLeavesThePositionAlone()
    {
        var name = fixture.UniqueName("stream-seek");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await using var stream = file.AsStream();
        stream.Write(new byte[100]);

        Assert.Throws<IOException>(() => stream.Seek(-101, SeekOrigin.End));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Position = -1);
        Assert.Equal(100, stream.Position);
    }

    [Fact]
    public async Task StreamReaderWriterAndGzipWorkOverPfsFiles()
    {
        var name = fixture.UniqueName("stream-gzip");
        var text = string.Concat(Enumerable.Range(0, 5000).Select(i => $"line {i} of a compressible text\n"));
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3, blockSize: 4096);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        await using (var gzip = new GZipStream(file.AsStream(leaveOpen: false), CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip, Encoding.UTF8))
        {
            await writer.WriteAsync(text);
        }

        await using var readFile = await client.OpenAsync(name, PfsOpenMode.Read);
        Assert.InRange((await readFile.StatAsync()).Size, 1, text.Length / 4);
        using var reader = new StreamReader(new GZipStream(readFile.AsStream(), CompressionMode.Decompress), Encoding.UTF8);
        Assert.Equal(text, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task DisposingTheStreamLeavesTheFileOpenUnlessAskedToClose()
    {
        var name = fixture.UniqueName("stream-leave-open");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);

        await using (var stream = file.AsStream())
        {
            await stream.WriteAsync("kept open"u8.ToArray());
        }

        await file.WriteAsync("!"u8.ToArray(), 9);
        var closing = file.AsStream(leaveOpen: false);
        await closing.DisposeAsync();

        var closed = await Assert.ThrowsAsync<PfsException>(async () => await file.ReadAsync(new byte[1], 0));
        Assert.Equal(PfsErrorCode.Closed, closed.Code);
        Assert.False(closing.CanRead);
        Assert.Throws<ObjectDisposedException>(() => closing.Position);
        await using var reader = await client.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal("kept open!"u8.ToArray(), await TestData.ReadAllAsync(reader, 10));
    }

    [Fact]
    public async Task FailuresOfTheFileSurfaceAsPfsExceptionWhichIsAnIOException()
    {
        var name = fixture.UniqueName("stream-closed");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 1);
        var file = await client.OpenAsync(name, PfsOpenMode.Read);
        var stream = file.AsStream();
        await file.CloseAsync();

        var ex = Assert.Throws<PfsException>(() => stream.ReadByte());
        Assert.IsAssignableFrom<IOException>(ex);
        Assert.Equal(PfsErrorCode.Closed, ex.Code);
    }

    private static long Target(MemoryStream reference, long offset, SeekOrigin origin) => origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => reference.Position + offset,
        _ => reference.Length + offset,
    };
}
