using CsCheck;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// Random writes, cuts and extends through the client (cache, write-behind, staged cuts), with
/// checksums on: every read, by the writer and by another client after the close, verifies (no
/// DataLoss) and returns the model's bytes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ChecksummedClientPropertyTests(ClusterFixture fixture)
{
    private const int Block = 512;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RandomWritesAndCutsThenReadsAlwaysVerify()
    {
        var operations = Gen.OneOf(
            Gen.Select(Gen.Int[0, 20 * Block], Gen.Int[1, 5 * Block]).Select((offset, length) => (Kind: 0, Offset: (long)offset, Length: length)),
            Gen.Int[0, 24 * Block].Select(length => (Kind: 1, Offset: (long)length, Length: 0)),
            Gen.Const((Kind: 2, Offset: 0L, Length: 0))).Array[1, 12];
        await using var client = await fixture.Cluster.ConnectAsync(cacheBlocks: 8);
        await using var other = await fixture.Cluster.ConnectAsync();
        await operations.SampleAsync(async ops =>
        {
            var name = fixture.UniqueName("sums");
            await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, BlockSize = Block });
            var model = new List<byte>();
            var file = await client.OpenAsync(name, PfsOpenMode.Write);
            try
            {
                var seed = 0;
                foreach (var (kind, offset, length) in ops)
                {
                    if (kind == 0)
                    {
                        var data = TestData.Bytes(length, ++seed);
                        await file.WriteAsync(data, offset).AsTask().WaitAsync(Timeout);
                        while (model.Count < offset + length)
                        {
                            model.Add(0);
                        }

                        for (var i = 0; i < length; i++)
                        {
                            model[(int)offset + i] = data[i];
                        }
                    }
                    else if (kind == 1)
                    {
                        await file.SetLengthAsync(offset).WaitAsync(Timeout);
                        if (model.Count > offset)
                        {
                            model.RemoveRange((int)offset, model.Count - (int)offset);
                        }

                        while (model.Count < offset)
                        {
                            model.Add(0);
                        }
                    }
                    else
                    {
                        await file.CloseAsync().AsTask().WaitAsync(Timeout);
                        await using (var reader = await other.OpenAsync(name, PfsOpenMode.Read))
                        {
                            Assert.Equal(model.ToArray(), await TestData.ReadAllAsync(reader, model.Count).WaitAsync(Timeout));
                        }

                        file = await client.OpenAsync(name, PfsOpenMode.Write);
                    }

                    Assert.Equal(model.ToArray(), await TestData.ReadAllAsync(file, model.Count).WaitAsync(Timeout));
                }

                await file.CloseAsync().AsTask().WaitAsync(Timeout);
                await using var last = await other.OpenAsync(name, PfsOpenMode.Read);
                Assert.Equal(model.ToArray(), await TestData.ReadAllAsync(last, model.Count).WaitAsync(Timeout));
            }
            finally
            {
                await file.DisposeAsync();
            }
        }, iter: 25, threads: 1);
    }
}
