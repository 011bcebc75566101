using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pfs.Protocol;
using Pfs.Protocol.Transport;
using Pfs.ServiceDefaults.Connections;
using Pfs.ServiceDefaults.Security;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.ServiceDefaults;

/// <summary>What every Pfs server shares: cleartext HTTP/2 gRPC sized for bulk transfer, and gRPC health.</summary>
public static class PfsServerHosting
{
    /// <summary>Largest gRPC message a server accepts or sends: one block of the largest size (64 MiB) plus framing.</summary>
    public const int MaxMessageBytes = Pfs.Protocol.PfsLimits.MaxMessageBytes;

    /// <summary>
    /// The host's arguments for a Pfs server's <c>WebApplication.CreateBuilder</c>: <paramref name="args"/>, with
    /// configuration files read once and never watched. A watched appsettings.json makes the host put inotify
    /// watches on its whole content root (the working directory) at start, recursively: a working directory above
    /// a mount of this very cluster then kept a restarting metadata server from listening for some 40 s, each
    /// lookup in the mount waiting for the server that was walking it. The settings are checked once at start
    /// anyway; a change needs a restart.
    /// </summary>
    public static string[] HostArguments(string[] args) => [.. args, "--hostBuilder:reloadConfigOnChange=false"];

    /// <summary>
    /// What both servers are made of: <paramref name="configuration"/> and then <paramref name="settings"/>
    /// (flags, or an embedder's explicit options) on top of the host's own configuration; h2c Kestrel;
    /// the service defaults; gRPC with health; <typeparamref name="TOptions"/> bound (see
    /// <see cref="PfsServerSettings.AddPfsServerOptions"/>) and checked by <typeparamref name="TValidator"/>; the cluster key.
    /// </summary>
    public static WebApplicationBuilder AddPfsServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions,
                                                     [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this WebApplicationBuilder builder,
        IEnumerable<KeyValuePair<string, string?>> settings,
        IConfiguration? configuration,
        string section,
        params (string Key, string Property)[] elsewhere)
        where TOptions : class, IPfsServerOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (configuration is not null)
        {
            builder.Configuration.AddConfiguration(configuration);
        }

        builder.Configuration.AddSettings(settings);
        builder.UsePfsKestrel<TOptions>();
        builder.AddServiceDefaults();
        builder.Services.AddPfsGrpc();
        builder.Services.AddPfsServerOptions<TOptions, TValidator>(section, elsewhere);
        builder.Services.AddPfsClusterKey<TOptions>();
        return builder;
    }

    /// <summary>
    /// Builds a Pfs server in the order both kinds share: <see cref="AddPfsServer"/> with
    /// <paramref name="settings"/> over <paramref name="configuration"/>; the server's own services
    /// (<paramref name="addServices"/>, which also runs an embedder's configure step where the server wants it);
    /// the app built and checked (<see cref="CheckPfsServer"/>); the server's own middleware and endpoints
    /// (<paramref name="mapEndpoints"/>); then gRPC health and the default endpoints.
    /// </summary>
    public static WebApplication BuildPfsServer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions,
                                                [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this WebApplicationBuilder builder,
        IEnumerable<KeyValuePair<string, string?>> settings,
        IConfiguration? configuration,
        Action<WebApplicationBuilder> addServices,
        Action<WebApplication> mapEndpoints,
        string section,
        params (string Key, string Property)[] elsewhere)
        where TOptions : class, IPfsServerOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(addServices);
        ArgumentNullException.ThrowIfNull(mapEndpoints);
        addServices(builder.AddPfsServer<TOptions, TValidator>(settings, configuration, section, elsewhere));
        var app = builder.Build();
        app.CheckPfsServer<TOptions>();
        mapEndpoints(app);
        app.MapPfsHealth();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>
    /// Resolves the options and the cluster key of a built server, so a bad setting or key stops the
    /// start with its reason (<see cref="OptionsValidationException"/>, <see cref="ArgumentException"/>)
    /// rather than failing a call later.
    /// </summary>
    public static TOptions CheckPfsServer<TOptions>(this WebApplication app)
        where TOptions : class, IPfsServerOptions
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<TOptions>();
        _ = app.Services.GetRequiredService<IOptions<PfsConnectionLimits>>().Value;
        _ = app.Services.GetRequiredService<CapabilitySigner>();
        var security = app.Services.GetRequiredService<PfsSecurityOptions>();
        if (ListenPolicy.Check(options, security, app.Configuration, out var warning) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }

        if (DescriptorReserve.OpenNow() is { } open && DescriptorReserve.Process.Shortage(open) is { } shortage)
        {
            ReservingListenerFactory.WarnOfShortage(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ReservingListenerFactory.Category), shortage);
        }

        if (warning is not null)
        {
            SecurityLog.Listening(
                app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category),
                warning.StartsWith("WARNING", StringComparison.Ordinal) ? LogLevel.Warning : LogLevel.Information,
                warning);
        }

        return options;
    }

    /// <summary>
    /// Serves h2c only. With <see cref="IPfsServerOptions.Port"/> set, listens there (0 picks a free
    /// port); without it the endpoints come from configuration (ASPNETCORE_URLS, as under Aspire).
    /// </summary>
    public static WebApplicationBuilder UsePfsKestrel<TOptions>(this WebApplicationBuilder builder)
        where TOptions : class, IPfsServerOptions
    {
        ArgumentNullException.ThrowIfNull(builder);
        // ASP.NET Core logs four lines per request at Information: on a block server that is more
        // CPU than the call itself. Warnings and errors still show.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The host logs a start that failed (a port in use, say) as some forty lines of stack trace, ahead of
        // the one line PfsServerProgram prints for it. A background service that fails still shows: the
        // host stops on it (the default behaviour) and logs that at Critical, with the exception.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        // A client that goes away with a stream open (every pfs command's namespace stream, a killed client's
        // notice stream) is logged by gRPC at Information, twice, with a stack trace each: some 35 lines per
        // command. A handler that fails is still logged (at Error).
        builder.Logging.AddFilter("Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.Warning);
        PfsConnectionLimits.Register(builder.Services);
        PfsSecurityOptions.Register(builder.Services);
        if (DescriptorReserve.Process.Enabled)
        {
            // Registered last, so Kestrel binds through it rather than through the plain socket transport.
            builder.Services.AddSingleton<IConnectionListenerFactory>(services =>
            {
                var loggers = services.GetRequiredService<ILoggerFactory>();
                return new ReservingListenerFactory(
                    new SocketTransportFactory(services.GetRequiredService<IOptions<SocketTransportOptions>>(), loggers),
                    DescriptorReserve.Process,
                    loggers.CreateLogger(ReservingListenerFactory.Category));
            });
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var limits = kestrel.ApplicationServices.GetRequiredService<IOptions<PfsConnectionLimits>>().Value;
            var security = kestrel.ApplicationServices.GetRequiredService<PfsSecurityOptions>();
            var certificate = security.Tls ? TlsFiles.ServerCertificate(security.TlsCertificate!, security.TlsKey!) : null;
            if (certificate is not null && TlsFiles.Validity(certificate, security.TlsCertificate!, DateTimeOffset.UtcNow) is var (line, refused))
            {
                // Said where the certificate is loaded, once, as the server starts.
                SecurityLog.CertificateValidity(
                    kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category),
                    refused ? LogLevel.Error : LogLevel.Warning,
                    line);
            }

            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(endpoint =>
            {
                // Cleartext gRPC needs HTTP/2-only endpoints: with Http1AndHttp2 an h2c call gets an empty reply.
                endpoint.Protocols = HttpProtocols.Http2;
                endpoint.Use(next => HandshakeGuard.Wrap(next, limits.HandshakeTimeout));
                if (certificate is not null)
                {
                    // Every endpoint, whatever its URL's scheme: with TLS configured nothing is served in the clear.
                    endpoint.UseHttps(certificate);
                }
            });

            // No peer may hold more than a bounded share of the server: connections are counted and
            // closed at accept beyond the limit, a silent one goes after the handshake timeout, an idle
            // one (no call in flight) after the idle timeout. Headers keep Kestrel's bounds (100 headers,
            // 32 KiB in all, 16 KiB one field): a capability naming a 4 KiB path is about 6 KiB in
            // base64, and a malformed one must still reach the service to be refused precisely.
            kestrel.Limits.MaxConcurrentConnections = limits.MaxConnections;
            kestrel.Limits.KeepAliveTimeout = limits.IdleTimeout;
            // The .NET defaults (1 MiB / 768 KiB) cost bulk uploads up to a quarter of their throughput.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 8 * 1024 * 1024;
            // Opens wait server-side for locks; many may be outstanding on one connection.
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1024;
            // A client whose machine or network vanished sends no FIN: pings find it, its
            // Subscribe stream ends, and its lease starts running out.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(5);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(5);
            kestrel.Limits.MaxRequestBodySize = null;
            var options = kestrel.ApplicationServices.GetRequiredService<TOptions>();
            if (options.Port is { } port)
            {
                kestrel.Listen(ListenPolicy.BindAddress(options), port);
            }
        });
        return builder;
    }

    /// <summary>gRPC with Pfs message limits, and the standard grpc.health.v1 service.</summary>
    public static IServiceCollection AddPfsGrpc(this IServiceCollection services)
    {
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxMessageBytes;
            grpc.MaxSendMessageSize = MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
        });
        services.AddGrpcHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"]);
        return services;
    }

    /// <summary>Maps grpc.health.v1; the overall service ("") is SERVING once the app has started.</summary>
    public static WebApplication MapPfsHealth(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        return app;
    }

    /// <summary>The address a started app listens on, as a client should dial it (127.0.0.1 for a wildcard bind).</summary>
    public static Uri GetListenAddress(this WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("the server has no addresses; call StartAsync first");
        var first = addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the server is not listening; call StartAsync first");
        var uri = new Uri(first.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal)
                               .Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal)
                               .Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal)
                               .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal));
        var tls = app.Services.GetService<PfsSecurityOptions>()?.Tls == true;
        return new UriBuilder(uri) { Path = string.Empty, Scheme = tls ? Uri.UriSchemeHttps : uri.Scheme, Port = uri.Port }.Uri;
    }

    /// <summary>True if <paramref name="exception"/> is Kestrel failing to bind a port that another socket holds.</summary>
    public static bool IsAddressInUse(Exception exception) =>
        exception is Microsoft.AspNetCore.Connections.AddressInUseException
        || exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
        || exception.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse };
}
