using System.Globalization;
using Grpc.Net.Client;
using Pfs.Client;
using Pfs.FileServer.Storage;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// A metadata server (in memory) and file servers as real processes over real data directories, the
/// file servers with scrub settings of the test's choosing.
/// </summary>
internal sealed class ChecksumCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ChildProcess> _processes = [];

    private ChecksumCluster(string root, int fileServers)
    {
        Root = root;
        DataDirectories = [.. Enumerable.Range(0, fileServers).Select(i => Path.Join(root, $"fs{i}"))];
        FileServerPorts = [.. DataDirectories.Select(_ => FreePort())];
        MetaPort = FreePort();
    }

    public string Root { get; }

    public IReadOnlyList<string> DataDirectories { get; }

    public IReadOnlyList<int> FileServerPorts { get; }

    public int MetaPort { get; }

    public Uri MetaAddress => new($"http://127.0.0.1:{MetaPort}");

    public IReadOnlyList<ChildProcess> FileServers => _processes.Skip(1).ToList();

    /// <summary>Starts the servers; <paramref name="scrubMbps"/> 0 turns the scrub off, anything else runs it with no pause between passes.</summary>
    public static async Task<ChecksumCluster> StartAsync(int fileServers, int scrubMbps)
    {
        var cluster = new ChecksumCluster(Directory.CreateTempSubdirectory("pfs-checksums-").FullName, fileServers);
        try
        {
            var keyFile = Path.Join(cluster.Root, "cluster.key");
            await File.WriteAllTextAsync(keyFile, TestCaps.Key);
            var meta = ChildProcess.Start("Pfs.MetaServer", "--port", cluster.MetaPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--file-servers", string.Join(',', cluster.FileServerPorts.Select(p => $"127.0.0.1:{p}")), "--cluster-key-file", keyFile, "--lease-seconds", "5");
            cluster._processes.Add(meta);
            var environment = new Dictionary<string, string> { ["Pfs__ScrubPauseSeconds"] = "0.2", ["Pfs__ScrubQuietSeconds"] = "0.05" };
            for (var i = 0; i < fileServers; i++)
            {
                var server = ChildProcess.Start("Pfs.FileServer", environment, "--port", cluster.FileServerPorts[i].ToString(CultureInfo.InvariantCulture),
                    "--bind", "127.0.0.1", "--data-dir", cluster.DataDirectories[i], "--cluster-key-file", keyFile,
                    "--scrub-mbps", scrubMbps.ToString(CultureInfo.InvariantCulture));
                cluster._processes.Add(server);
                await server.WaitForAsync("listening", StartTimeout);
            }

            await meta.WaitForAsync("Now listening on", StartTimeout);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task<PfsClient> ConnectAsync() => PfsClient.ConnectAsync(new PfsClientOptions
    {
        ClientId = $"checksums-{Guid.NewGuid():N}",
        MetaServer = MetaAddress,
        OperationTimeout = TimeSpan.FromSeconds(20),
    });

    /// <summary>Creates <paramref name="name"/> with <paramref name="layout"/>, writes <paramref name="data"/> at 0 and closes it, through a client of its own.</summary>
    public async Task WriteFileAsync(string name, PfsCreateOptions layout, byte[] data)
    {
        await using var client = await ConnectAsync();
        await client.CreateAsync(name, layout);
        await using var writer = await client.OpenAsync(name, PfsOpenMode.Write);
        await writer.WriteAsync(data, 0);
        await writer.CloseAsync();
    }

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="name"/>, read whole through a fresh client (nothing cached).</summary>
    public async Task<byte[]> ReadAllAsync(string name, int length)
    {
        await using var reader = await ConnectAsync();
        await using var file = await reader.OpenAsync(name, PfsOpenMode.Read);
        var read = new byte[length];
        Assert.Equal(length, await file.ReadAsync(read, 0).AsTask().WaitAsync(CallTimeout));
        return read;
    }

    /// <summary>The damaged blocks file server <paramref name="server"/> lists.</summary>
    public async Task<List<DamagedBlock>> ListDamageAsync(int server)
    {
        using var channel = FileServerChannel(server);
        var reply = await new FileService.FileServiceClient(channel).ListDamageAsync(new ListDamageRequest()).ResponseAsync.WaitAsync(CallTimeout);
        return [.. reply.Blocks];
    }

    public GrpcChannel FileServerChannel(int server) => GrpcChannel.ForAddress($"http://127.0.0.1:{FileServerPorts[server]}");

    /// <summary>The committed stripe object of <paramref name="generation"/> on <paramref name="server"/>.</summary>
    public string ObjectFile(int server, ulong generation) =>
        ObjectPath.Resolve(Path.Join(DataDirectories[server], "stripes"), generation).File;

    public async Task<ulong> FileIdAsync(string name)
    {
        using var channel = GrpcChannel.ForAddress(MetaAddress);
        return (await new Pfs.Protocol.Meta.MetaService.MetaServiceClient(channel).StatAsync(new Pfs.Protocol.Meta.StatRequest { Name = name })).File.FileId;
    }

    public ValueTask DisposeAsync()
    {
        _processes.ForEach(process => process.Dispose());
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Flips one bit of the byte at <paramref name="offset"/> of <paramref name="file"/>, in place on disk.</summary>
    public static void FlipByte(string file, long offset)
    {
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.ReadWrite);
        var one = new byte[1];
        Assert.Equal(1, RandomAccess.Read(handle, one, offset));
        one[0] ^= 0x10;
        RandomAccess.Write(handle, one, offset);
    }

    private static int FreePort() => TestPorts.Free();
}
