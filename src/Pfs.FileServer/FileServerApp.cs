using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pfs.FileServer.Services;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.ServiceDefaults;

namespace Pfs.FileServer;

/// <summary>Builds a file server; the executable and in-process tests share this one composition.</summary>
public static class FileServerApp
{
    /// <summary>Configuration key for the data directory when <see cref="FileServerOptions.DataDirectory"/> is empty.</summary>
    public const string DataDirectoryKey = "FileServer:DataDirectory";

    /// <summary>
    /// Builds (does not start) a file server. The data directory is created if missing, so a directory
    /// that cannot be created fails here rather than on the first request.
    /// </summary>
    /// <param name="options">Listen and storage settings.</param>
    /// <param name="args">Host arguments, for configuration only; the executable parses its own flags.</param>
    /// <param name="configure">Runs last before the app is built, e.g. for tests to adjust logging.</param>
    /// <exception cref="ArgumentException">No data directory in <paramref name="options"/> or configuration, or a bad setting (see <see cref="FileServerLimits"/>).</exception>
    public static WebApplication Build(FileServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "the port must be from 0 to 65535");
        }

        if (options.DelayMs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DelayMs, "the delay must not be negative");
        }

        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        var resolved = options with { DataDirectory = ResolveDataDirectory(options.DataDirectory, builder.Configuration) };

        builder.UsePfsKestrel(resolved.Port, resolved.BindAddress);
        builder.AddServiceDefaults();
        builder.Services.AddPfsGrpc();
        builder.Services.AddGrpc().AddServiceOptions<FileGrpcService>(grpc => grpc.Interceptors.Add<StorageErrorInterceptor>());
        var limits = FileServerLimits.Resolve(resolved, builder.Configuration);
        builder.Services.AddSingleton(resolved);
        builder.Services.AddSingleton(limits);
        builder.Services.AddSingleton(services => new BlockStore(
            resolved.DataDirectory, services.GetRequiredService<ILogger<BlockStore>>(), resolved.SyncWrites));
        builder.Services.AddSingleton(services => new StagedObjects(
            services.GetRequiredService<BlockStore>(), services.GetRequiredService<ILogger<StagedObjects>>(), limits.MaxStages));
        builder.Services.AddSingleton(new WriteBudget(limits.WriteBudgetBytes));
        builder.AddPfsClusterKey(resolved.ClusterKey, resolved.ClusterKeyFile);
        configure?.Invoke(builder);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<BlockStore>();

        // Before the gRPC endpoint, so that a write is admitted (or refused) before its payload is read.
        app.UseMiddleware<WriteAdmissionMiddleware>();
        app.MapGrpcService<FileGrpcService>();
        app.MapPfsHealth();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>An explicit directory wins; otherwise configuration (as Aspire sets it) supplies one.</summary>
    internal static string ResolveDataDirectory(string? explicitDirectory, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return explicitDirectory;
        }

        var configured = configuration[DataDirectoryKey];
        return !string.IsNullOrWhiteSpace(configured)
            ? configured
            : throw new ArgumentException($"no data directory: pass --data-dir or set {DataDirectoryKey}");
    }
}
