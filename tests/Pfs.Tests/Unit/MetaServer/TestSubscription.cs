using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>A running Subscribe call of the harness.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A CancellationTokenSource with no timer and no linked tokens holds nothing that needs disposal.")]
internal sealed class TestSubscription
{
    private readonly CancellationTokenSource _cancel = new();

    public TestSubscription(MetaServiceHarness meta, string clientId, int? stallAfterWrites)
    {
        if (stallAfterWrites is { } writes)
        {
            Stream.StallAfter(writes);
        }

        Completion = meta.SubscribeCall(new SubscribeRequest { ClientId = clientId }, Stream, _cancel.Token);
    }

    public ChannelServerStreamWriter<Notice> Stream { get; } = new();

    public Task Completion { get; }

    public ulong SessionId { get; set; }

    public Task<Notice> NextAsync() => Stream.ReadAsync(MetaServiceHarness.Timeout);

    /// <summary>The client goes away: its call is cancelled.</summary>
    public void Cancel() => _cancel.Cancel();
}
