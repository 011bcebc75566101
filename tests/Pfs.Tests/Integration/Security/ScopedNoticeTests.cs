using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;

namespace Pfs.Tests.Integration.Security;

/// <summary>
/// A scoped client's Subscribe stream tells it of changes to names in its scope, every one of them,
/// and of nothing else: two scoped clients and an unscoped watcher on real streams, while an unscoped
/// actor changes things in both scopes, in both at once (a hard link), and outside both.
/// </summary>
[Collection(SecureClusterCollection.Name)]
public sealed class ScopedNoticeTests(SecureClusterFixture fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(fixture.Cluster.MetaServerAddress);

    private MetaService.MetaServiceClient Meta => new(_channel);

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task AScopedSubscriberHearsOfEveryChangeInItsScopeAndOfNoneOutside()
    {
        // Arrange: two scopes, their identities and an unscoped one, each with a namespace stream
        var a = fixture.UniqueName("notice-a");
        var b = fixture.UniqueName("notice-b");
        var elsewhere = fixture.UniqueName("notice-c");
        var root = await TokenAsync(await fixture.AddIdentityAsync(fixture.UniqueName("notice-root")));
        var alice = await TokenAsync(await fixture.AddIdentityAsync(fixture.UniqueName("notice-alice"), "/" + a));
        var bob = await TokenAsync(await fixture.AddIdentityAsync(fixture.UniqueName("notice-bob"), "/" + b));
        var actor = new Metadata { { IdentityProof.TokenHeader, root }, { "pfs-client-id", fixture.UniqueName("notice-actor") } };
        var dirA = (await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = a }, actor)).Node.FileId;
        var dirB = (await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = b }, actor)).Node.FileId;
        using var cancel = new CancellationTokenSource(Timeout);
        using var watcher = await SubscribeAsync(root, cancel.Token);
        using var aliceStream = await SubscribeAsync(alice, cancel.Token);
        using var bobStream = await SubscribeAsync(bob, cancel.Token);

        // Act
        await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = $"{a}/d" }, actor);
        var f = (await Meta.CreateAsync(new CreateRequest { Name = $"{a}/f", StripeWidth = 1 }, actor)).File.FileId;
        var g = (await Meta.CreateAsync(new CreateRequest { Name = $"{b}/g", StripeWidth = 1 }, actor)).File.FileId;
        await Meta.SetAttributesAsync(new SetAttributesRequest { Path = $"{a}/f", Mode = 0x180 }, actor);
        await Meta.SetAttributesAsync(new SetAttributesRequest { Path = $"{b}/g", Mode = 0x180 }, actor);
        // f gets a second name, in b: from now on its node is in both scopes.
        await Meta.LinkAsync(new LinkRequest { Existing = $"{a}/f", Path = $"{b}/h" }, actor);
        await Meta.RenameAsync(new RenameRequest { From = $"{a}/f", To = $"{b}/moved" }, actor);
        await Meta.UnlinkAsync(new UnlinkRequest { Path = $"{b}/g" }, actor);
        await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = elsewhere }, actor);
        await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = $"{a}/end" }, actor);
        await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = $"{b}/end" }, actor);

        // Assert: each stream, up to its last notice, holds exactly its share, in order
        Assert.Equal(
        [
            $"entry {dirA} d 0", $"entry {dirA} f 0", $"node {f}", $"node {f}", $"entry {dirA} f {f}", $"entry {dirA} end 0",
        ], await ReadUntilAsync(aliceStream, $"entry {dirA} end 0", cancel.Token));
        Assert.Equal(
        [
            $"entry {dirB} g 0", $"node {g}", $"entry {dirB} h 0", $"node {f}", $"entry {dirB} moved 0", $"entry {dirB} g {g}", $"deleted {g} {b}/g",
            $"entry {dirB} end 0",
        ], await ReadUntilAsync(bobStream, $"entry {dirB} end 0", cancel.Token));
        Assert.Equal(
        [
            $"entry {dirA} d 0", $"entry {dirA} f 0", $"entry {dirB} g 0", $"node {f}", $"node {g}", $"entry {dirB} h 0", $"node {f}",
            $"entry {dirA} f {f}", $"entry {dirB} moved 0", $"entry {dirB} g {g}", $"deleted {g} {b}/g", $"entry 1 {elsewhere} 0",
            $"entry {dirA} end 0", $"entry {dirB} end 0",
        ], await ReadUntilAsync(watcher, $"entry {dirB} end 0", cancel.Token));
    }

    private async Task<byte[]> TokenAsync(string key)
    {
        Assert.True(ClientKey.TryParse(key, out var parsed, out var error), error);
        using (parsed)
        {
            var reply = await new AuthService.AuthServiceClient(_channel).AuthenticateAsync(parsed!.Prove(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return reply.Token.ToByteArray();
        }
    }

    private async Task<AsyncServerStreamingCall<Notice>> SubscribeAsync(byte[] token, CancellationToken cancellationToken)
    {
        var stream = Meta.Subscribe(
            new SubscribeRequest { ClientId = fixture.UniqueName("notice-subscriber"), NamespaceNotices = true },
            new Metadata { { IdentityProof.TokenHeader, token } },
            cancellationToken: cancellationToken);
        Assert.True(await stream.ResponseStream.MoveNext(cancellationToken));
        Assert.Equal(Notice.KindOneofCase.Hello, stream.ResponseStream.Current.KindCase);
        return stream;
    }

    private static async Task<List<string>> ReadUntilAsync(AsyncServerStreamingCall<Notice> stream, string last, CancellationToken cancellationToken)
    {
        var seen = new List<string>();
        while (seen.Count == 0 || seen[^1] != last)
        {
            Assert.True(await stream.ResponseStream.MoveNext(cancellationToken), $"the stream ended after {string.Join(", ", seen)}");
            seen.Add(Describe(stream.ResponseStream.Current));
        }

        return seen;
    }

    private static string Describe(Notice notice) => notice.KindCase switch
    {
        Notice.KindOneofCase.EntryChanged => $"entry {notice.EntryChanged.Parent} {notice.EntryChanged.Name} {notice.EntryChanged.Inode}",
        Notice.KindOneofCase.NodeChanged => $"node {notice.NodeChanged.Inode}",
        Notice.KindOneofCase.Deleted => $"deleted {notice.Deleted.FileId} {notice.Deleted.Name}",
        _ => notice.KindCase.ToString(),
    };
}
