using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pfs.AppHost.HealthChecks;
using Pfs.AppHost.Security;

namespace Pfs.AppHost;

/// <summary>Helpers that keep Program.cs a top-to-bottom list of resources.</summary>
internal static class Extensions
{
    /// <summary>The endpoint a Pfs server serves cleartext gRPC (h2c) on, when the AppHost runs insecure.</summary>
    public const string HttpEndpoint = "http";

    /// <summary>The endpoint a Pfs server serves gRPC over TLS on, when the AppHost runs secure (the default).</summary>
    public const string HttpsEndpoint = "https";

    /// <summary>
    /// Runs a referenced .NET project as an executable of its built dll (<c>dotnet X.dll</c>),
    /// which starts and stops in seconds where a project resource goes through <c>dotnet run</c>.
    /// The AppHost's ProjectReference builds it, in the AppHost's own configuration.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddDotnetApp<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var dll = BuiltDll(new TProject().ProjectPath);
        return builder.AddExecutable(name, DotnetHost, Path.GetDirectoryName(dll)!, dll)
            .WithOtlpExporter();
    }

    /// <summary>
    /// A Pfs server: one HTTP/2-only endpoint whose port DCP picks (passed as ASPNETCORE_URLS), and a
    /// health check through grpc.health.v1. With <paramref name="secrets"/> the server serves TLS only
    /// with the development certificate, checks the servers it calls against the development CA, and
    /// requires authentication (Pfs:TlsCertificate, Pfs:TlsKey, Pfs:TlsCa, Pfs:Authentication); the
    /// endpoint is then <see cref="HttpsEndpoint"/>, else <see cref="HttpEndpoint"/>.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddPfsServer<TProject>(this IDistributedApplicationBuilder builder, string name,
        DevelopmentSecrets? secrets)
        where TProject : IProjectMetadata, new()
    {
        var server = builder.AddDotnetApp<TProject>(name);
        server = secrets is null ? server.WithHttpEndpoint(name: HttpEndpoint) : server.WithHttpsEndpoint(name: HttpsEndpoint);
        var endpoint = server.ServerEndpoint();
        // Kestrel's URL stays http://: with a certificate configured the server puts TLS on every endpoint
        // (PfsServerHosting), while an https:// URL would also have Kestrel look for a default certificate.
        server.WithEnvironment("ASPNETCORE_URLS", ReferenceExpression.Create($"http://127.0.0.1:{endpoint.Property(EndpointProperty.TargetPort)}"));
        if (secrets is not null)
        {
            server.WithEnvironment("Pfs__TlsCertificate", secrets.Certificates.CertificateFile)
                .WithEnvironment("Pfs__TlsKey", secrets.Certificates.KeyFile)
                .WithEnvironment("Pfs__TlsCa", secrets.Certificates.CaFile)
                .WithEnvironment("Pfs__Authentication", "Required");
        }

        return server.WithGrpcHealthCheck(endpoint, secrets?.Certificates.CaFile);
    }

    /// <summary>The one endpoint of a server made by <see cref="AddPfsServer{TProject}"/>, whichever scheme it serves.</summary>
    public static EndpointReference ServerEndpoint(this IResourceBuilder<ExecutableResource> server) =>
        server.GetEndpoint(server.Resource.Annotations.OfType<EndpointAnnotation>().Single().Name);

    /// <summary>
    /// With <paramref name="identity"/> (the secure AppHost), a client resource of the cluster: before each
    /// start, once the metadata server is healthy, the identity is registered there; the client gets its
    /// key as <c>PFS_KEY</c> and the development CA as <c>PFS_TLS_CA</c>. Without, the resource is left as it is.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AsPfsClient(this IResourceBuilder<ExecutableResource> client,
        IResourceBuilder<ExecutableResource> metaserver, AppHostIdentity? identity)
    {
        if (identity is null)
        {
            return client;
        }

        var endpoint = metaserver.ServerEndpoint();
        return client
            .WithEnvironment("PFS_KEY", identity.Key)
            .WithEnvironment("PFS_TLS_CA", identity.Secrets.Certificates.CaFile)
            .OnBeforeResourceStarted(async (_, started, cancellationToken) =>
            {
                // WaitFor(metaserver) holds the start as well; waiting here too keeps this independent of
                // the order in which the start's handlers run.
                await started.Services.GetRequiredService<ResourceNotificationService>()
                    .WaitForResourceHealthyAsync(metaserver.Resource.Name, cancellationToken);
                await identity.EnsureRegisteredAsync(new Uri(endpoint.Url), cancellationToken);
            });
    }

    /// <summary>Healthy once the server's grpc.health.v1 service says SERVING.</summary>
    public static IResourceBuilder<T> WithGrpcHealthCheck<T>(this IResourceBuilder<T> resource, EndpointReference endpoint, string? tlsCaFile)
        where T : IResource
    {
        var key = $"{resource.Resource.Name}_grpc_health";
        var check = new GrpcHealthCheck(endpoint, tlsCaFile);
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => check, failureStatus: null, tags: null));
        return resource.WithHealthCheck(key);
    }

    /// <summary>
    /// The metadata store, chosen by <c>Pfs:Redis</c>: <c>garnet</c> (default: Microsoft Garnet from
    /// NuGet, built with the AppHost), <c>redis-server</c> (a Redis on the PATH), or <c>container</c>
    /// (Aspire.Hosting.Redis; needs a container runtime). A <c>ConnectionStrings:redis</c> in the
    /// AppHost's configuration uses that server instead. Every choice keeps an append-only file
    /// under <paramref name="dataDirectory"/>, so metadata survives a restart of the whole app.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddPfsRedis(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name)))
        {
            return builder.AddConnectionString(name);
        }

        var kind = builder.Configuration["Pfs:Redis"] ?? "garnet";
        switch (kind.ToLowerInvariant())
        {
            case "garnet":
                var garnet = BuiltDll(new Projects.Pfs_Garnet().ProjectPath);
                return builder.AddRedisServer(name, DotnetHost, garnet, port => ["--port", port, "--data-dir", dataDirectory]);
            case "redis-server":
                Directory.CreateDirectory(dataDirectory);
                return builder.AddRedisServer(name, "redis-server", null, port =>
                    ["--port", port, "--bind", "127.0.0.1", "--dir", dataDirectory, "--appendonly", "yes", "--appendfsync", "always"]);
            case "container":
                return builder.AddRedis(name).WithDataVolume().WithPersistence(TimeSpan.FromSeconds(1), keysChangedThreshold: 1);
            default:
                throw new InvalidOperationException($"Pfs:Redis '{kind}' is not one of garnet, redis-server, container");
        }
    }

    /// <summary>The comma-separated file-server addresses, in stripe order, as the metadata server reads them.</summary>
    public static ReferenceExpression AddressList(IEnumerable<IResourceBuilder<ExecutableResource>> servers)
    {
        var list = new ReferenceExpressionBuilder();
        var first = true;
        foreach (var server in servers)
        {
            if (!first)
            {
                list.AppendLiteral(",");
            }

            list.Append($"{server.ServerEndpoint()}");
            first = false;
        }

        return list.Build();
    }

    /// <summary>Whether <see cref="ResourceBuilderExtensions.WaitFor{T}(IResourceBuilder{T}, IResourceBuilder{IResource})"/> can wait for it (a server started elsewhere has no state).</summary>
    public static bool CanWaitFor(this IResourceBuilder<IResource> resource) =>
        resource.Resource is ExecutableResource or ContainerResource;

    private static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(this IDistributedApplicationBuilder builder, string name,
        string command, string? dll, Func<object, object[]> args)
    {
        var resource = new RedisServerResource(name, command, dll is null ? builder.AppHostDirectory : Path.GetDirectoryName(dll)!);
        var server = builder.AddResource(resource)
            .WithEndpoint(name: RedisServerResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                if (dll is not null)
                {
                    context.Args.Add(dll);
                }

                foreach (var arg in args(resource.Endpoint.Property(EndpointProperty.TargetPort)))
                {
                    context.Args.Add(arg);
                }
            });
        var key = $"{name}_ping";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => new RedisPingHealthCheck(resource.Endpoint), failureStatus: null, tags: null));
        return server.WithHealthCheck(key);
    }

    /// <summary>The dotnet host running this AppHost (the SDK sets DOTNET_HOST_PATH), else the one on the PATH.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string BuiltDll(string projectPath)
    {
        var assembly = typeof(Extensions).Assembly;
        var configuration = Metadata(assembly, "PfsBuildConfiguration");
        var framework = Metadata(assembly, "PfsTargetFramework");
        var directory = Path.GetDirectoryName(projectPath)!;
        var dll = Path.Combine(directory, "bin", configuration, framework, Path.GetFileNameWithoutExtension(projectPath) + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{dll} is missing: build the AppHost (dotnet build src/Pfs.AppHost -c {configuration}), which builds it");
    }

    private static string Metadata(Assembly assembly, string key) =>
        assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is missing");
}
