using CsCheck;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// Staging against a model: a writer's view of an object is a byte array that writes overwrite (growing
// it with zeros) and cuts resize, whatever order they come in, across restarts, and the commit makes
// the object exactly that array.
public sealed class StagedModelTests
{
    private static readonly ObjectKey Key = new("model", 0x5a);

    // (kind, offset, length): 0 write, 1 cut at offset, 2 restart the server.
    private static readonly Gen<(int Kind, int Offset, int Length)[]> Steps =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 80], Gen.Int[1, 24])
            .Select((roll, offset, length) => (roll < 6 ? 0 : roll < 9 ? 1 : 2, offset, length))
            .Array[1, 12];

    [Fact]
    public async Task TheWritersViewAndTheCommittedObjectMatchTheModel()
    {
        await Gen.Select(Gen.Int[0, 60], Steps).SampleAsync(async (baseLength, steps) =>
        {
            // Arrange
            using var directory = new TempDirectory();
            var store = NewStore(directory);
            var staged = NewStaged(store);
            var model = Pattern(baseLength, 7).ToList();
            if (baseLength > 0)
            {
                await staged.WriteAsync(Key, new ObjectAccess(1, true, []), [new ObjectSegment(0, model.ToArray())], sync: false).AsTask().WaitAsync(TestTimeout);
                await staged.CommitAsync(Key, 1).AsTask().WaitAsync(TestTimeout);
            }

            var writer = new ObjectAccess(2, true, []);

            // Act
            var seed = 100;
            foreach (var (kind, offset, length) in steps)
            {
                switch (kind)
                {
                    case 0:
                        var data = Pattern(length, seed++);
                        await staged.WriteAsync(Key, writer, [new ObjectSegment(offset, data)], sync: false).AsTask().WaitAsync(TestTimeout);
                        while (model.Count < offset + length)
                        {
                            model.Add(0);
                        }

                        for (var i = 0; i < length; i++)
                        {
                            model[offset + i] = data[i];
                        }

                        break;
                    case 1:
                        await staged.WriteAsync(Key, writer, [], sync: false, truncate: offset).AsTask().WaitAsync(TestTimeout);
                        if (model.Count > offset)
                        {
                            model.RemoveRange(offset, model.Count - offset);
                        }

                        while (model.Count < offset)
                        {
                            model.Add(0);
                        }

                        break;
                    default:
                        staged = NewStaged(store);
                        break;
                }
            }

            var own = await ReadAllAsync(staged, writer);
            await staged.CommitAsync(Key, 2).AsTask().WaitAsync(TestTimeout);
            var committed = await ReadAllAsync(staged, new ObjectAccess(3, false, []));

            // Assert
            Assert.Equal(model.ToArray(), own);
            Assert.Equal(model.ToArray(), committed);
        }, iter: 150, threads: 1);
    }

    private static async Task<byte[]> ReadAllAsync(StagedObjects staged, ObjectAccess access)
    {
        using var result = await staged.ReadAsync(Key, access, [new ObjectRange(0, 256)]).AsTask().WaitAsync(TestTimeout);
        return result.Data[0].ToArray();
    }
}
