using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Pfs.MetaServer;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Services;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>A loaded <see cref="Namespace"/> wired as the server wires it (its reclaimer not running, so what it was handed stays visible).</summary>
internal sealed class NamespaceTesting : IAsyncDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly ServiceProvider _services;

    private NamespaceTesting(ServiceProvider services, IMetadataStore store)
    {
        _services = services;
        Store = store;
    }

    public Namespace Names => _services.GetRequiredService<Namespace>();

    public ObjectReclaimer Reclaimer => _services.GetRequiredService<ObjectReclaimer>();

    public IMetadataStore Store { get; }

    public WriterEpochs Epochs => _services.GetRequiredService<WriterEpochs>();

    /// <summary>What an open for writing does before it signs a capability: from then on the file may have objects.</summary>
    public void GrantWriter(ulong fileId) => Epochs.Granted(fileId);

    public static async Task<NamespaceTesting> StartAsync(IMetadataStore? store = null, int fileServers = 3)
    {
        store ??= new InMemoryMetadataStore();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostApplicationLifetime, Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>();
        services.AddSingleton(store);
        services.AddSingleton(TestCaps.Signer);
        services.AddSingleton(new MetaServerOptions { FileServers = [.. Enumerable.Range(0, fileServers).Select(i => $"fs{i}:5005{i}")] });
        services.AddMetaServerCore();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Namespace>().LoadAsync();
        return new NamespaceTesting(provider, store);
    }

    /// <summary>A second server's namespace over the same store, as after a restart.</summary>
    public Task<NamespaceTesting> RestartAsync() => StartAsync(Store);

    public static FileSpec Spec(int width = 1, int blockSize = 0, int parity = 0) => new(width, blockSize, parity, null, 0, 0);

    public Task<NodeView> FileAsync(string path, int width = 1) => Names.CreateFileAsync(0, path, Spec(width), actor: null);

    public Task<NodeView> DirectoryAsync(string path) => Names.MakeDirectoryAsync(0, path, null, 0, 0, actor: null);

    public NodeView? Find(string path)
    {
        try
        {
            return Names.Lookup(0, path);
        }
        catch (MetaException ex) when (ex.Code == MetaErrorCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every path under a directory (depth first, names in order), with each node's inode.</summary>
    public List<(string Path, ulong Inode)> Tree(string directory = "")
    {
        var found = new List<(string, ulong)>();
        var after = string.Empty;
        while (true)
        {
            var (entries, more) = Names.List(0, directory, after, 0);
            foreach (var entry in entries)
            {
                found.Add((entry.View.Path, entry.View.Node.Id));
                if (entry.View.Node is DirectoryNode)
                {
                    found.AddRange(Tree(entry.View.Path));
                }

                after = entry.Name;
            }

            if (!more)
            {
                return found;
            }
        }
    }

    /// <summary>Expects a namespace call to fail with <paramref name="code"/>, and returns the status a caller gets.</summary>
    public static async Task<RpcException> FailsWith(MetaErrorCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<MetaException>(call);
        Assert.Equal(code, ex.Code);
        return MetaErrorInterceptor.ToRpcException(ex);
    }

    public static RpcException FailsWith(MetaErrorCode code, Action call)
    {
        var ex = Assert.Throws<MetaException>(call);
        Assert.Equal(code, ex.Code);
        return MetaErrorInterceptor.ToRpcException(ex);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
