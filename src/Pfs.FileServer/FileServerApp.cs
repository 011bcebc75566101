using Pfs.FileServer.Services;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.ServiceDefaults;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.FileServer;

/// <summary>Builds a file server; the executable and in-process tests share this one composition.</summary>
public static class FileServerApp
{
    /// <summary>
    /// Builds (does not start) a file server with explicit <paramref name="options"/> (they win over
    /// configuration; an empty data directory is left to it). The data directory is created if
    /// missing, so a directory that cannot be created fails here rather than on the first request.
    /// </summary>
    /// <param name="options">Listen and storage settings.</param>
    /// <param name="args">Host arguments, for configuration only (<c>--FileServer:DataDirectory=DIR</c>).</param>
    /// <param name="configure">Runs last before the app is built, e.g. for tests to adjust logging.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is missing or malformed.</exception>
    /// <exception cref="ArgumentException">The cluster key is missing or malformed.</exception>
    /// <exception cref="IOException">The data directory cannot be used.</exception>
    public static WebApplication Build(FileServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Build(args ?? [], options.ToConfiguration(), configure);
    }

    /// <summary>A server whose settings come from configuration, with <paramref name="settings"/> (the flags) on top.</summary>
    internal static WebApplication Build(
        string[] args,
        IEnumerable<KeyValuePair<string, string?>> settings,
        Action<WebApplicationBuilder>? configure = null,
        IConfiguration? configuration = null) =>
        WebApplication.CreateSlimBuilder(PfsServerHosting.HostArguments(args)).BuildPfsServer<FileServerOptions, FileServerOptionsValidator>(
            settings,
            configuration,
            builder =>
            {
                AddFileServer(builder.Services);
                configure?.Invoke(builder);
            },
            MapFileServer,
            FileServerSettings.Section);

    private static void AddFileServer(IServiceCollection services)
    {
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<FileServerOptions>();
            return new BlockStore(options.DataDirectory, provider.GetRequiredService<ILogger<BlockStore>>(), options.SyncWrites, (long)options.WritebackMiB << 20);
        });
        services.AddSingleton(provider => FileServerLimits.From(provider.GetRequiredService<FileServerOptions>()));
        services.AddSingleton(provider => new StagedObjects(
            provider.GetRequiredService<BlockStore>(), provider.GetRequiredService<ILogger<StagedObjects>>(),
            provider.GetRequiredService<FileServerLimits>().MaxStages)
        {
            TestCrashPoint = provider.GetRequiredService<FileServerOptions>().TestCrashPoint is { } point && !string.IsNullOrWhiteSpace(point) ? point.Trim() : null,
        });
        services.AddSingleton(provider => new WriteBudget(provider.GetRequiredService<FileServerLimits>().WriteBudgetBytes));
        services.AddSingleton<ClientActivity>();
        services.AddPfsSectionOptions<ScrubOptions, ScrubOptionsValidator>();
        services.AddHostedService<ScrubService>();
        services.AddGrpc().AddServiceOptions<FileGrpcService>(grpc => grpc.Interceptors.Add<StorageErrorInterceptor>());
    }

    private static void MapFileServer(WebApplication app)
    {
        try
        {
            _ = app.Services.GetRequiredService<BlockStore>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot use the data directory: {ex.Message}", ex);
        }

        // Before the gRPC endpoint, so that a write is admitted (or refused) before its payload is read.
        app.UseMiddleware<WriteAdmissionMiddleware>();
        app.MapGrpcService<FileGrpcService>();
    }
}
