using Grpc.Net.Client;
using Pfs.Client.Transport;

namespace Pfs.Benchmarks.Micro;

/// <summary>File layouts over channels that never connect: the micro benchmarks do no I/O.</summary>
internal static class TestLayouts
{
    private static readonly FileServerConnection[] Servers = Enumerable.Range(0, 4)
        .Select(i => new FileServerConnection($"127.0.0.1:{50100 + i}", GrpcChannel.ForAddress($"http://127.0.0.1:{50100 + i}")))
        .ToArray();

    public static FileLayout Create(ulong fileId, int width, int blockSize) =>
        new($"bench-{fileId}", fileId, blockSize, Servers.Take(width).ToList());
}
