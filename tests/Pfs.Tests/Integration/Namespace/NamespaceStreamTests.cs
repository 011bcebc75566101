using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Client;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>
/// The namespace stream (protos/metadata.proto, <c>Pipe</c>; <see cref="PfsClientOptions.NamespaceStream"/>): its
/// replies find their calls whatever order they come in, every answer is the one the unary call gives, and the
/// server answers a request it cannot run without ending the stream. Its timeouts and its waits for a restarting
/// server are the unary calls' (UnreachableServerTests), and its per-request authorization theirs (the security
/// tests, whose clients use it).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NamespaceStreamTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private Task<PfsClient> ConnectAsync(bool stream) => PfsClient.ConnectAsync(new PfsClientOptions
    {
        ClientId = fixture.UniqueName(stream ? "streamed" : "unary"),
        MetaServer = fixture.Cluster.MetaServerAddress,
        NamespaceStream = stream,
    });

    [Fact]
    public async Task ManyCallsInFlightOnOneClientEachGetTheirOwnReply()
    {
        await using var client = await ConnectAsync(stream: true);
        var d = fixture.UniqueName("in-flight");
        await client.CreateDirectoryAsync(d);

        // 200 creates at once, widths 1-3 and block sizes by name, so a reply given to the wrong call shows.
        var names = Enumerable.Range(0, 200).Select(i => $"{d}/f{i}").ToArray();
        await Task.WhenAll(names.Select((name, i) => client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 1 + (i % 3), BlockSize = 512 << (i % 4) })));

        // Stats of every one, and of as many missing names, all at once.
        var stats = names.Select(name => client.StatAsync(name)).ToArray();
        var missing = names.Select(name => Assert.ThrowsAsync<PfsException>(() => client.StatAsync(name + "-missing"))).ToArray();
        var infos = await Task.WhenAll(stats).WaitAsync(Timeout);
        var errors = await Task.WhenAll(missing).WaitAsync(Timeout);

        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(names[i], infos[i].Name);
            Assert.Equal(1 + (i % 3), infos[i].StripeWidth);
            Assert.Equal(512 << (i % 4), infos[i].BlockSize);
            Assert.Equal(PfsErrorCode.NotFound, errors[i].Code);
            Assert.Contains(names[i] + "-missing", errors[i].Message, StringComparison.Ordinal);
        }

        Assert.Equal(names.Length, infos.Select(info => info.Inode).Distinct().Count());
        await Task.WhenAll(names.Select(name => client.UnlinkAsync(name)));
        await client.DeleteDirectoryAsync(d);
    }

    [Fact]
    public async Task EveryCallAnswersOverTheStreamAsItsUnaryCallDoes()
    {
        await using var streamed = await ConnectAsync(stream: true);
        await using var unary = await ConnectAsync(stream: false);

        var outcomes = new List<string>[2];
        foreach (var (client, slot) in new[] { (streamed, 0), (unary, 1) })
        {
            // The same script in a directory of each client's own: successes, and every kind of refusal.
            var d = fixture.UniqueName("same-answers");
            var seen = outcomes[slot] = [];
            async Task Step(string what, Func<Task<PfsFileInfo?>> call)
            {
                try
                {
                    var info = await call();
                    seen.Add(info is null ? $"{what}: ok" : $"{what}: {info.Kind} size {info.Size} mode {Convert.ToString(info.Mode, 8)} links {info.LinkCount} width {info.StripeWidth} target {info.Target}");
                }
                catch (PfsException ex)
                {
                    seen.Add($"{what}: {ex.Code}");
                }
            }

            await Step("mkdir", async () => { await client.CreateDirectoryAsync(d); return null; });
            await Step("mkdir again", async () => { await client.CreateDirectoryAsync(d); return null; });
            await Step("create", async () => { await client.CreateAsync($"{d}/f", new PfsCreateOptions { StripeWidth = 2 }); return null; });
            await Step("create again", async () => { await client.CreateAsync($"{d}/f", 1); return null; });
            await Step("create under a file", async () => { await client.CreateAsync($"{d}/f/x", 1); return null; });
            await Step("create in a missing directory", async () => { await client.CreateAsync($"{d}/none/x", 1); return null; });
            await Step("create with a bad width", async () => { await client.CreateAsync($"{d}/wide", 99); return null; });
            await Step("stat", async () => await client.StatAsync($"{d}/f"));
            await Step("stat a missing name", async () => await client.StatAsync($"{d}/missing"));
            await Step("stat through a file", async () => await client.StatAsync($"{d}/f/x"));
            await Step("unlink a directory", async () => { await client.UnlinkAsync(d); return null; });
            await Step("rmdir a non-empty directory", async () => { await client.DeleteDirectoryAsync(d); return null; });
            await Step("rmdir a file", async () => { await client.DeleteDirectoryAsync($"{d}/f"); return null; });
            await Step("symlink", async () => { await client.CreateSymbolicLinkAsync($"{d}/l", "elsewhere"); return null; });
            await Step("stat the symlink", async () => await client.StatAsync($"{d}/l"));
            await Step("hard link", async () => { await client.CreateHardLinkAsync($"{d}/f", $"{d}/h"); return null; });
            await Step("hard link to a directory", async () => { await client.CreateHardLinkAsync(d, $"{d}/hd"); return null; });
            await Step("chmod", async () => await client.SetAttributesAsync($"{d}/f", new PfsAttributeChanges { Mode = 0x1A4 }));
            await Step("chmod a missing name", async () => await client.SetAttributesAsync($"{d}/missing", new PfsAttributeChanges { Mode = 0x1A4 }));
            await Step("rename", async () => { await client.RenameAsync($"{d}/f", $"{d}/g"); return null; });
            await Step("rename into its own subtree", async () => { await client.RenameAsync(d, $"{d}/sub"); return null; });
            await Step("rename a missing name", async () => { await client.RenameAsync($"{d}/f", $"{d}/k"); return null; });
            await Step("stat after the rename", async () => await client.StatAsync($"{d}/g"));
            await Step("unlink", async () => { await client.UnlinkAsync($"{d}/g"); return null; });
            await Step("links left", async () => await client.StatAsync($"{d}/h"));
            await Step("unlink the rest", async () =>
            {
                await client.UnlinkAsync($"{d}/h");
                await client.UnlinkAsync($"{d}/l");
                return null;
            });
            await Step("unlink a missing name", async () => { await client.UnlinkAsync($"{d}/h"); return null; });
            await Step("rmdir", async () => { await client.DeleteDirectoryAsync(d); return null; });
            await Step("stat the removed directory", async () => await client.StatAsync(d));
        }

        Assert.Equal(outcomes[1], outcomes[0]);

        // The script did reach every kind of answer, so the comparison covers them.
        foreach (var code in new[] { "AlreadyExists", "NotADirectory", "NotFound", "InvalidArgument", "IsADirectory", "DirectoryNotEmpty" })
        {
            Assert.Contains(outcomes[0], line => line.EndsWith(": " + code, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheServerAnswersARequestItCannotRunAndTheStreamGoesOn()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Cluster.MetaServerAddress);
        var meta = new MetaService.MetaServiceClient(channel);
        var name = fixture.UniqueName("raw-pipe");
        using var cancel = new CancellationTokenSource(Timeout);
        using var pipe = meta.Pipe(cancellationToken: cancel.Token);

        // A request naming no call, a create, a bad path, a stat of what the create made: the ids come back with them.
        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 41 });
        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 42, Create = new CreateRequest { Name = name, StripeWidth = 1 } });
        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 43, Stat = new StatRequest { Name = name + "/../x" } });
        var replies = new Dictionary<ulong, PipeReply>();
        while (replies.Count < 3 && await pipe.ResponseStream.MoveNext(cancel.Token))
        {
            replies.Add(pipe.ResponseStream.Current.Id, pipe.ResponseStream.Current);
        }

        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 44, Stat = new StatRequest { Name = name } });
        Assert.True(await pipe.ResponseStream.MoveNext(cancel.Token));
        replies.Add(pipe.ResponseStream.Current.Id, pipe.ResponseStream.Current);
        await pipe.RequestStream.CompleteAsync();
        Assert.False(await pipe.ResponseStream.MoveNext(cancel.Token));

        Assert.Equal((int)StatusCode.InvalidArgument, replies[41].Error.Code);
        Assert.Equal(name, replies[42].Create.File.Name);
        Assert.Equal((int)StatusCode.InvalidArgument, replies[43].Error.Code);
        Assert.Equal(replies[42].Create.File.FileId, replies[44].Stat.File.FileId);
        Assert.Equal(StatusCode.OK, pipe.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ANamespaceErrorCarriesTheNameTheUnaryTrailerGives()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Cluster.MetaServerAddress);
        var meta = new MetaService.MetaServiceClient(channel);
        var d = fixture.UniqueName("raw-pipe-errors");
        await meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = d });
        await meta.CreateAsync(new CreateRequest { Name = d + "/f", StripeWidth = 1 });
        using var cancel = new CancellationTokenSource(Timeout);
        using var pipe = meta.Pipe(cancellationToken: cancel.Token);

        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 1, Stat = new StatRequest { Name = d + "/f/x" } });
        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 2, Unlink = new UnlinkRequest { Path = d } });
        await pipe.RequestStream.WriteAsync(new PipeRequest { Id = 3, RemoveDirectory = new RemoveDirectoryRequest { Path = d } });
        await pipe.RequestStream.CompleteAsync();
        var errors = new Dictionary<ulong, PipeError>();
        while (await pipe.ResponseStream.MoveNext(cancel.Token))
        {
            errors.Add(pipe.ResponseStream.Current.Id, pipe.ResponseStream.Current.Error);
        }

        Assert.Equal(("not-a-directory", (int)StatusCode.FailedPrecondition), (errors[1].Error, errors[1].Code));
        Assert.Equal(("is-a-directory", (int)StatusCode.FailedPrecondition), (errors[2].Error, errors[2].Code));
        Assert.Equal(("directory-not-empty", (int)StatusCode.FailedPrecondition), (errors[3].Error, errors[3].Code));
    }
}
