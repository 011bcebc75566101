using CsCheck;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.Protocol;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// End-to-end checksums in the storage: sums checked on the way in, kept beside the bytes through the
// stage and the commit, and checked again on every read.
public sealed class StagedSumsTests : IDisposable
{
    private const int Unit = 512;
    private static readonly ObjectKey Key = new("sums", 0x5a);
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private readonly StagedObjects _staged;

    public StagedSumsTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task CommittedBlocksReadBackWithTheSumsTheyWereWrittenWith()
    {
        // Arrange
        var data = Pattern((3 * Unit) + 100, 1);
        await CommitAsync(NewWriter(), null, (0, data));

        // Act
        using var result = await ReadAsync(Reader(), 0, 4 * Unit);

        // Assert
        Assert.Equal(data, result.Data[0].ToArray());
        Assert.Equal(Sums(data), result.Sums);
        Assert.Empty(result.Damaged);
    }

    [Fact]
    public async Task AWriteWithOneWrongSumIsRefusedAsDataLossAndStagesNothing()
    {
        // Arrange
        var data = Pattern(2 * Unit, 2);
        var sums = Sums(data);
        sums[1] ^= 1;

        // Act
        var refused = await Assert.ThrowsAsync<BlockStoreException>(() =>
            _staged.WriteAsync(Key, NewWriter(), [new ObjectSegment(0, data, sums)], sync: false, checksumBlock: Unit).AsTask().WaitAsync(TestTimeout));

        // Assert
        Assert.Equal(BlockStoreError.DataLoss, refused.Error);
        Assert.Null(_staged.StageOf(Key));
        Assert.Equal(0, _staged.LiveStages);
        Assert.False(File.Exists(ObjectFile()));
    }

    [Fact]
    public async Task AFlippedByteOnDiskIsWithheldAndListedWhileTheOtherBlocksStillRead()
    {
        // Arrange
        var data = Pattern(4 * Unit, 3);
        await CommitAsync(NewWriter(), null, (0, data));
        FlipByte(ObjectFile(), (2 * Unit) + 7);

        // Act
        using var result = await ReadAsync(Reader(), 0, 4 * Unit);

        // Assert
        Assert.Equal([2L * Unit], result.Damaged);
        Assert.Equal(data.AsSpan(0, 2 * Unit).ToArray(), result.Data[0][..(2 * Unit)].ToArray());
        Assert.All(result.Data[0].Slice(2 * Unit, Unit).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(data.AsSpan(3 * Unit).ToArray(), result.Data[0][(3 * Unit)..].ToArray());
        var listed = Assert.Single(_store.Damage.List(0, 0, 10, out _));
        Assert.Equal((Key.Generation, 2L * Unit, Unit), (listed.Generation, listed.Offset, listed.BlockSize));
    }

    [Fact]
    public async Task DamageIsRememberedAcrossARestartAndForgottenOnceACommitRewritesTheBlock()
    {
        // Arrange
        var data = Pattern(2 * Unit, 4);
        await CommitAsync(NewWriter(), null, (0, data));
        FlipByte(ObjectFile(), Unit + 1);
        (await ReadAsync(Reader(), 0, 2 * Unit)).Dispose();

        // Act
        var restarted = new BlockStore(_store.DataDirectory, Microsoft.Extensions.Logging.Abstractions.NullLogger<BlockStore>.Instance);
        var stagedAgain = NewStaged(restarted);
        var before = restarted.Damage.Count;
        var writer = NewWriter();
        var fresh = Pattern(Unit, 9);
        await stagedAgain.WriteAsync(Key, writer, [new ObjectSegment(Unit, fresh, Sums(fresh))], sync: false, checksumBlock: Unit).AsTask().WaitAsync(TestTimeout);
        await stagedAgain.CommitAsync(Key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        using var result = await stagedAgain.ReadAsync(Key, Reader(), [new ObjectRange(0, 2 * Unit)], Unit).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.Equal(1, before);
        Assert.Equal(0, restarted.Damage.Count);
        Assert.Empty(result.Damaged);
        Assert.Equal([.. data.AsSpan(0, Unit), .. fresh], result.Data[0].ToArray());
    }

    [Fact]
    public async Task BlocksWrittenWithoutSumsReadUncheckedAndStillCarryTheirSums()
    {
        // Arrange: a version 2 writer, then a flipped byte nobody can tell from data
        var data = Pattern(2 * Unit, 5);
        await CommitAsync(NewWriter(), null, (0, data), withSums: false);

        // Act
        using var result = await ReadAsync(Reader(), 0, 2 * Unit);

        // Assert
        Assert.Equal(data, result.Data[0].ToArray());
        Assert.Equal(Sums(data), result.Sums);
        Assert.Empty(result.Damaged);
        Assert.False(File.Exists(ObjectFile() + ".sums"));
    }

    [Fact]
    public async Task ACutThroughABlockKeepsItsSumTrueBeforeAndAfterTheCommit()
    {
        // Arrange
        var data = Pattern(3 * Unit, 6);
        await CommitAsync(NewWriter(), null, (0, data));
        var writer = NewWriter();

        // Act: cut into block 1, then extend past block 2 again
        await _staged.WriteAsync(Key, writer, [], sync: false, truncate: Unit + 100).AsTask().WaitAsync(TestTimeout);
        await _staged.WriteAsync(Key, writer, [], sync: false, truncate: 3 * Unit).AsTask().WaitAsync(TestTimeout);
        using var own = await ReadAsync(writer, 0, 3 * Unit);
        await _staged.CommitAsync(Key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        using var committed = await ReadAsync(Reader(), 0, 3 * Unit);

        // Assert
        var expected = new byte[3 * Unit];
        data.AsSpan(0, Unit + 100).CopyTo(expected);
        foreach (var result in new[] { own, committed })
        {
            Assert.Empty(result.Damaged);
            Assert.Equal(expected, result.Data[0].ToArray());
            Assert.Equal(Sums(expected), result.Sums);
        }
    }

    [Fact]
    public async Task ACutThroughADamagedBlockKeepsItDamaged()
    {
        // Arrange
        var data = Pattern(2 * Unit, 7);
        await CommitAsync(NewWriter(), null, (0, data));
        FlipByte(ObjectFile(), 10);
        var writer = NewWriter();

        // Act
        await _staged.WriteAsync(Key, writer, [], sync: false, truncate: 100).AsTask().WaitAsync(TestTimeout);
        await _staged.CommitAsync(Key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        using var result = await ReadAsync(Reader(), 0, Unit);

        // Assert
        Assert.Equal([0L], result.Damaged);
    }

    [Fact]
    public async Task AnAbortedWriterLeavesNoSumsAndADeleteRemovesThemAll()
    {
        // Arrange
        var data = Pattern(Unit, 8);
        await CommitAsync(NewWriter(), null, (0, data));
        var dead = NewWriter();
        var other = Pattern(Unit, 9);
        await _staged.WriteAsync(Key, dead, [new ObjectSegment(0, other, Sums(other))], sync: false, checksumBlock: Unit).AsTask().WaitAsync(TestTimeout);
        Assert.True(File.Exists(ObjectFile() + ".stage.sums"));

        // Act
        await _staged.AbortAsync(Key, dead.Epoch).AsTask().WaitAsync(TestTimeout);
        using (var result = await ReadAsync(Reader(), 0, Unit))
        {
            Assert.Equal(data, result.Data[0].ToArray());
            Assert.Empty(result.Damaged);
        }

        string[] afterAbort = [.. Directory.GetFiles(Path.GetDirectoryName(ObjectFile())!).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];
        await _staged.DeleteObjectAsync(Key);

        // Assert
        Assert.Equal(["000000000000005a", "000000000000005a.epoch", "000000000000005a.sums"], afterAbort);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(ObjectFile())!));
    }

    [Fact]
    public async Task RandomWritesAndCutsAlwaysReadBackVerified()
    {
        var operations = Gen.OneOf(
            Gen.Select(Gen.Int[0, 12], Gen.Int[1, 3 * Unit], Gen.Bool).Select((block, length, sums) => (Cut: -1L, Block: block, Length: length, Sums: sums)),
            Gen.Long[0, 12 * Unit].Select(cut => (Cut: cut, Block: 0, Length: 0, Sums: true)),
            Gen.Const((Cut: -2L, Block: 0, Length: 0, Sums: true))).Array[1, 25];
        await operations.SampleAsync(async ops =>
        {
            using var directory = new TempDirectory();
            var store = NewStore(directory);
            var staged = NewStaged(store);
            var model = new List<byte>();
            var writer = NewWriter();
            var seed = 0;
            foreach (var (cut, block, length, withSums) in ops)
            {
                if (cut == -2)
                {
                    // A close: commit, then a new writer.
                    await staged.CommitAsync(Key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
                    writer = NewWriter();
                }
                else if (cut >= 0)
                {
                    await staged.WriteAsync(Key, writer, [], sync: false, truncate: cut).AsTask().WaitAsync(TestTimeout);
                    Resize(model, cut);
                }
                else
                {
                    // Whole blocks, as a client writes them: the last may be short only if it ends the data.
                    var offset = (long)block * Unit;
                    var data = Pattern(length, seed++);
                    if (model.Count > offset + length && length % Unit != 0)
                    {
                        Array.Resize(ref data, Math.Min(((length / Unit) + 1) * Unit, model.Count - (int)offset));
                        model.Skip((int)offset + length).Take(data.Length - length).ToArray().CopyTo(data, length);
                    }

                    var segment = withSums ? new ObjectSegment(offset, data, Sums(data)) : new ObjectSegment(offset, data);
                    await staged.WriteAsync(Key, writer, [segment], sync: false, checksumBlock: withSums ? Unit : 0).AsTask().WaitAsync(TestTimeout);
                    Resize(model, Math.Max(model.Count, offset + data.Length));
                    for (var i = 0; i < data.Length; i++)
                    {
                        model[(int)offset + i] = data[i];
                    }
                }

                // The writer sees its view; a reader of the same epoch sees what is committed (and settles nothing).
                foreach (var who in new[] { writer, new ObjectAccess(writer.Epoch, false, []) })
                {
                    var expected = who.Write ? model.ToArray() : null;
                    using var result = await staged.ReadAsync(Key, who, [new ObjectRange(0, 16 * Unit)], Unit).AsTask().WaitAsync(TestTimeout);
                    Assert.Empty(result.Damaged);
                    Assert.Equal(Sums(result.Data[0].ToArray()), result.Sums);
                    if (expected is not null)
                    {
                        Assert.Equal(expected, result.Data[0].ToArray());
                    }
                }
            }
        }, iter: 60);
    }

    private static void Resize(List<byte> model, long length)
    {
        if (model.Count > length)
        {
            model.RemoveRange((int)length, model.Count - (int)length);
        }

        while (model.Count < length)
        {
            model.Add(0);
        }
    }

    private static uint[] Sums(byte[] data)
    {
        var sums = new uint[BlockChecksum.ChunkCount(data.Length, Unit)];
        BlockChecksum.ComputeAll(data, Unit, sums);
        return sums;
    }

    private static ObjectAccess Reader() => new(NewWriter().Epoch, false, []);

    private static void FlipByte(string file, long offset)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);
        var one = new byte[1];
        RandomAccess.Read(handle, one, offset);
        one[0] ^= 0x40;
        RandomAccess.Write(handle, one, offset);
    }

    private async Task CommitAsync(ObjectAccess writer, long? truncate, (long Offset, byte[] Data) segment, bool withSums = true)
    {
        var written = withSums ? new ObjectSegment(segment.Offset, segment.Data, Sums(segment.Data)) : new ObjectSegment(segment.Offset, segment.Data);
        await _staged.WriteAsync(Key, writer, [written], sync: false, truncate, withSums ? Unit : 0).AsTask().WaitAsync(TestTimeout);
        Assert.True(await _staged.CommitAsync(Key, writer.Epoch).AsTask().WaitAsync(TestTimeout));
    }

    private async Task<ObjectReadResult> ReadAsync(ObjectAccess access, long offset, int length) =>
        await _staged.ReadAsync(Key, access, [new ObjectRange(offset, length)], Unit).AsTask().WaitAsync(TestTimeout);

    private string ObjectFile() => Path.Join(_store.StripesRoot, "5a", "000000000000005a");
}
