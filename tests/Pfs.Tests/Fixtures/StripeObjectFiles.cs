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
}
