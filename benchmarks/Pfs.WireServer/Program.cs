using System.Globalization;
using Pfs.ServiceDefaults;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.WireServer;

/// <summary>
/// <c>Pfs.WireServer --port P [--bind ADDRESS]</c>: answers FileService calls without storing
/// anything (writes are parsed and dropped, reads are served from memory), and the metadata server's
/// namespace stream without looking anything up, over the file server's
/// own Kestrel, HTTP/2 and gRPC settings. What a bare client moves through it is what the wire and
/// the gRPC stack allow; the file server's own cost per byte is the difference.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        int? port = null;
        string? bind = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port":
                    port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--bind":
                    bind = args[i + 1];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"Pfs.WireServer: unknown argument '{args[i]}'; use --port P [--bind ADDRESS]");
                    return 2;
            }
        }

        var builder = WebApplication.CreateSlimBuilder([]);
        builder.Services.AddSingleton(new WireOptions { Port = port ?? 0, BindAddress = bind });
        builder.UsePfsKestrel<WireOptions>();
        builder.Services.AddPfsGrpc();
        await using var app = builder.Build();
        app.MapGrpcService<WireService>();
        app.MapGrpcService<WirePipeService>();
        app.MapPfsHealth();
        await app.RunAsync();
        return 0;
    }
}

/// <summary>Where the wire server listens; it needs no cluster key (it checks nothing).</summary>
internal sealed class WireOptions : IPfsServerOptions
{
    public int? Port { get; init; }

    public string? BindAddress { get; init; }

    public string? ClusterKey => null;

    public string? ClusterKeyFile => null;
}
