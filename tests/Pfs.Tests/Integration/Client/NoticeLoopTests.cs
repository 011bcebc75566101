using Pfs.Client;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>The client's notice loop outlives faults of its own, not only those of the stream.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NoticeLoopTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ANoticeTheClientFailsToApplyStartsANewSessionInsteadOfEndingTheLoop()
    {
        var observer = new FailsOnFirstInvalidation();
        await using var observed = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = fixture.UniqueName("notice-fault"),
            MetaServer = fixture.Cluster.MetaServerAddress,
            OperationTimeout = TimeSpan.FromSeconds(5),
            NoticeObserver = observer,
        });
        await using var other = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("notice-fault-file");
        await other.CreateAsync(name, stripeWidth: 1);
        await using (var file = await other.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(512, seed: 1), 0);
        }

        // The other client's close sends the observed client an invalidation, which its observer fails to apply.
        await Wait.UntilAsync(() => observer.Failed, "the observed client got the invalidation");
        await Wait.UntilAsync(() => observed.SessionCount >= 2 && observed.IsSubscribed, "the observed client starts a new notice session");

        // A writer's close waits for a session; with the loop gone it would time out and leave the file open.
        var data = TestData.Bytes(1024, seed: 2);
        await using (var file = await observed.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(data, 0);
        }

        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    private sealed class FailsOnFirstInvalidation : IPfsNoticeObserver
    {
        private int _failed;

        public bool Failed => Volatile.Read(ref _failed) != 0;

        public bool WantsNamespaceNotices => false;

        public void OnNotice(Notice notice)
        {
            if (notice.KindCase == Notice.KindOneofCase.Invalidate && Interlocked.Exchange(ref _failed, 1) == 0)
            {
                throw new InvalidOperationException("an observer fault, as a bug in a mount's notice handling would be");
            }
        }

        public void OnSessionLost()
        {
        }
    }
}
