using Grpc.Net.Client;
using Pfs.Client.Transport;

namespace Pfs.Tests.Unit.Client;

/// <summary>What an open's layout says about shards: which stripes every position must hold, and damage reported once per position.</summary>
public sealed class FileLayoutTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly List<GrpcChannel> _channels = [];

    [Fact]
    public void DamageIsReportedOncePerPositionPerOpen()
    {
        var reports = new List<(int Position, long Stripe)>();
        var layout = Layout(width: 2, parity: 1, sink: (_, position, stripe, _) => reports.Add((position, stripe)));

        layout.ReportDamage(2, 5, "checksum mismatch");
        layout.ReportDamage(2, 6, "checksum mismatch");
        layout.ReportDamage(0, 1, "missing");
        var again = Layout(width: 2, parity: 1, sink: (_, position, stripe, _) => reports.Add((position, stripe)));
        again.ReportDamage(2, 6, "checksum mismatch");

        Assert.Equal([(2, 5L), (0, 1L), (2, 6L)], reports);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2 * BlockSize, 1)]
    [InlineData((2 * BlockSize) + 1, 2)]
    [InlineData(5 * 2 * BlockSize, 5)]
    public void TheStripesEveryPositionHoldsFollowTheCommittedSize(long size, long stripes)
    {
        var layout = Layout(width: 2, parity: 1);

        layout.SetCommittedSize(size);

        Assert.Equal(stripes, layout.ShardStripes);
    }

    [Fact]
    public void ACutByTheOpenLowersTheStripesHeldAndAnExtensionDoesNotRaiseThem()
    {
        var layout = Layout(width: 2, parity: 1);
        layout.SetCommittedSize(10 * 2 * BlockSize);

        layout.CutAt((3 * 2 * BlockSize) + 1);
        var afterCut = layout.ShardStripes;
        layout.CutAt(100 * 2 * BlockSize);

        Assert.Equal(4, afterCut);
        Assert.Equal(4, layout.ShardStripes);
        Assert.Equal(7, layout.DataBlocks);
    }

    [Fact]
    public void AFileWithoutParityHoldsNoStripesToCheck()
    {
        var layout = Layout(width: 2, parity: 0);

        layout.SetCommittedSize(10 * BlockSize);

        Assert.Equal(0, layout.ShardStripes);
    }

    public void Dispose() => _channels.ForEach(channel => channel.Dispose());

    private FileLayout Layout(int width, int parity, Action<FileLayout, int, long, string>? sink = null)
    {
        var servers = Enumerable.Range(0, width + parity).Select(i =>
        {
            var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{1000 + i}");
            _channels.Add(channel);
            return new FileServerConnection($"127.0.0.1:{1000 + i}", channel);
        }).ToList();
        return new FileLayout("f", fileId: 7, BlockSize, servers, parity: parity) { DamageSink = sink };
    }
}
