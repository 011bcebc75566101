using Grpc.Net.Client;
using Pfs.FileServer.Storage;
using Pfs.LocalCluster;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Fixtures;

/// <summary>Where a cluster's file servers keep a file's stripe objects: found by its generation (file id), never by its name.</summary>
public static class StripeObjectFiles
{
    /// <summary>The file id the metadata server gave <paramref name="name"/>.</summary>
    public static async Task<ulong> FileIdAsync(PfsCluster cluster, string name)
    {
        using var channel = GrpcChannel.ForAddress(cluster.MetaServerAddress);
        return (await new MetaService.MetaServiceClient(channel).StatAsync(new StatRequest { Name = name })).File.FileId;
    }

    /// <summary>The stripe object file of <paramref name="generation"/> on file server <paramref name="server"/>, whether it exists or not.</summary>
    public static string PathOf(PfsCluster cluster, int server, ulong generation) =>
        ObjectPath.Resolve(Path.Join(cluster.DataRoot, $"fs{server}", "stripes"), generation).File;

    /// <summary>The stage files (a writer's staged bytes and log) under a file server's data directory; none if it has no objects yet.</summary>
    public static string[] StageFiles(string dataDirectory)
    {
        var stripes = Path.Join(dataDirectory, "stripes");
        return Directory.Exists(stripes) ? Directory.GetFiles(stripes, "*.stage*", SearchOption.AllDirectories) : [];
    }

    /// <summary>The stage files on file server <paramref name="server"/> of <paramref name="cluster"/>.</summary>
    public static string[] StageFiles(PfsCluster cluster, int server) => StageFiles(Path.Join(cluster.DataRoot, $"fs{server}"));
}
