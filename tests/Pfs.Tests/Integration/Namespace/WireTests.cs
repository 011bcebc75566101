using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>The namespace RPCs called straight over gRPC: the server checks paths itself, names its errors, and sends notices.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WireTests(ClusterFixture fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(fixture.Cluster.MetaServerAddress);

    private MetaService.MetaServiceClient Meta => new(_channel);

    public void Dispose() => _channel.Dispose();

    [Theory]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("..")]
    [InlineData("x/../y")]
    [InlineData("bad\\slash")]
    [InlineData("nul\0")]
    public async Task TheServerRefusesABadPathOnEveryCall(string path)
    {
        var meta = Meta;
        var ok = fixture.UniqueName("ok");
        await meta.CreateAsync(new CreateRequest { Name = ok, StripeWidth = 1 });

        await Refused(meta.CreateAsync(new CreateRequest { Name = path, StripeWidth = 1 }).ResponseAsync);
        await Refused(meta.StatAsync(new StatRequest { Name = path }).ResponseAsync);
        await Refused(meta.OpenAsync(new OpenRequest { ClientId = "wire", OpenId = 1, Name = path, Mode = LockMode.Read }).ResponseAsync);
        await Refused(meta.DeleteAsync(new DeleteRequest { ClientId = "wire", OpenId = 2, Name = path }).ResponseAsync);
        await Refused(meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = path }).ResponseAsync);
        await Refused(meta.RemoveDirectoryAsync(new RemoveDirectoryRequest { Path = path }).ResponseAsync);
        await Refused(meta.ListDirectoryAsync(new ListDirectoryRequest { Path = path }).ResponseAsync);
        await Refused(meta.RenameAsync(new RenameRequest { From = ok, To = path }).ResponseAsync);
        await Refused(meta.RenameAsync(new RenameRequest { From = path, To = ok + "-x" }).ResponseAsync);
        await Refused(meta.UnlinkAsync(new UnlinkRequest { Path = path }).ResponseAsync);
        await Refused(meta.LinkAsync(new LinkRequest { Existing = ok, Path = path }).ResponseAsync);
        await Refused(meta.LinkAsync(new LinkRequest { Existing = path, Path = ok + "-y" }).ResponseAsync);
        await Refused(meta.SymlinkAsync(new SymlinkRequest { Path = path, Target = "t" }).ResponseAsync);
        await Refused(meta.SetAttributesAsync(new SetAttributesRequest { Path = path, Mode = 0 }).ResponseAsync);
    }

    [Fact]
    public async Task NamespaceErrorsTravelAsFailedPreconditionWithATrailerNamingThem()
    {
        var meta = Meta;
        var d = fixture.UniqueName("trailers");
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = d });
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = d + "/sub" });
        await meta.CreateAsync(new CreateRequest { Name = d + "/f", StripeWidth = 1 });

        Assert.Equal("not-a-directory", await Trailer(meta.StatAsync(new StatRequest { Name = d + "/f/x" }).ResponseAsync));
        Assert.Equal("is-a-directory", await Trailer(meta.UnlinkAsync(new UnlinkRequest { Path = d + "/sub" }).ResponseAsync));
        Assert.Equal("directory-not-empty", await Trailer(meta.RemoveDirectoryAsync(new RemoveDirectoryRequest { Path = d }).ResponseAsync));
        Assert.Equal("is-a-directory", await Trailer(meta.OpenAsync(new OpenRequest { ClientId = "wire", OpenId = 3, Name = d, Mode = LockMode.Read }).ResponseAsync));
    }

    [Fact]
    public async Task NamespaceNoticesGoToSubscribersThatAskedButNotToTheClientThatMadeTheChange()
    {
        var meta = Meta;
        var d = fixture.UniqueName("notices");
        using var cancel = new CancellationTokenSource(Timeout);
        using var watcher = meta.Subscribe(new SubscribeRequest { ClientId = "ns-watcher", NamespaceNotices = true }, cancellationToken: cancel.Token);
        using var actor = meta.Subscribe(new SubscribeRequest { ClientId = "ns-actor", NamespaceNotices = true }, cancellationToken: cancel.Token);
        foreach (var stream in new[] { watcher, actor })
        {
            Assert.True(await stream.ResponseStream.MoveNext(cancel.Token));
            Assert.Equal(Notice.KindOneofCase.Hello, stream.ResponseStream.Current.KindCase);
        }

        var asActor = new Metadata { { "pfs-client-id", "ns-actor" } };
        var dir = (await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = d }, asActor)).Node;
        var file = (await meta.CreateAsync(new CreateRequest { Name = d + "/f", StripeWidth = 1 }, asActor)).File;
        await meta.SetAttributesAsync(new SetAttributesRequest { Path = d + "/f", Mode = 0x180 }, asActor);
        await meta.RenameAsync(new RenameRequest { From = d + "/f", To = d + "/g" }, asActor);
        await meta.UnlinkAsync(new UnlinkRequest { Path = d + "/g" }, asActor);
        // A change the actor itself did not make reaches it too.
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = d + "/last" });

        var seen = new List<Notice>();
        while (seen.Count < 8)
        {
            Assert.True(await watcher.ResponseStream.MoveNext(cancel.Token));
            seen.Add(watcher.ResponseStream.Current);
        }

        Assert.Equal(
        [
            $"entry {1} {d} 0", $"entry {dir.FileId} f 0", $"node {file.FileId}", $"entry {dir.FileId} f {file.FileId}",
            $"entry {dir.FileId} g 0", $"entry {dir.FileId} g {file.FileId}", $"deleted {file.FileId}", $"entry {dir.FileId} last 0",
        ], seen.Select(Describe));
        Assert.Equal(seen.Select((_, i) => (ulong)(i + 1)), seen.Select(notice => notice.Seq));
        Assert.True(await actor.ResponseStream.MoveNext(cancel.Token));
        Assert.Equal($"entry {dir.FileId} last 0", Describe(actor.ResponseStream.Current));
    }

    private static string Describe(Notice notice) => notice.KindCase switch
    {
        Notice.KindOneofCase.EntryChanged => $"entry {notice.EntryChanged.Parent} {notice.EntryChanged.Name} {notice.EntryChanged.Inode}",
        Notice.KindOneofCase.NodeChanged => $"node {notice.NodeChanged.Inode}",
        Notice.KindOneofCase.Deleted => $"deleted {notice.Deleted.FileId}",
        _ => notice.KindCase.ToString(),
    };

    private static async Task Refused<T>(Task<T> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    private static async Task<string?> Trailer<T>(Task<T> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        return ex.Trailers.GetValue("pfs-error");
    }
}
