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
        IConfiguration? configuration = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args)
            .AddPfsServer<FileServerOptions, FileServerOptionsValidator>(settings, configuration, FileServerSettings.Section);
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<FileServerOptions>();
            return new BlockStore(options.DataDirectory, services.GetRequiredService<ILogger<BlockStore>>(), options.SyncWrites);
        });
        builder.Services.AddSingleton(services => FileServerLimits.From(services.GetRequiredService<FileServerOptions>()));
        builder.Services.AddSingleton(services => new StagedObjects(
            services.GetRequiredService<BlockStore>(), services.GetRequiredService<ILogger<StagedObjects>>(),
            services.GetRequiredService<FileServerLimits>().MaxStages));
        builder.Services.AddSingleton(services => new WriteBudget(services.GetRequiredService<FileServerLimits>().WriteBudgetBytes));
        builder.Services.AddSingleton<ClientActivity>();
        builder.Services.AddOptions<ScrubOptions>().BindConfiguration(Pfs.ServiceDefaults.Settings.PfsServerSettings.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ScrubOptions>, ScrubOptionsValidator>();
        builder.Services.AddHostedService<ScrubService>();
        builder.Services.AddGrpc().AddServiceOptions<FileGrpcService>(grpc => grpc.Interceptors.Add<StorageErrorInterceptor>());
        configure?.Invoke(builder);

        var app = builder.Build();
        app.CheckPfsServer<FileServerOptions>();
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
        app.MapPfsHealth();
        app.MapDefaultEndpoints();
        return app;
    }
}
