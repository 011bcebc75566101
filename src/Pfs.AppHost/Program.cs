using System.Globalization;
using Microsoft.Extensions.Configuration;
using Pfs.AppHost;
using Pfs.AppHost.Security;

// Pfs under Aspire: the metadata store, the file servers, the metadata server, and a demo
// workload, each a named resource in the dashboard. Settings (appsettings.json, environment,
// or --Pfs:Name=value): Pfs:FileServers (3), Pfs:DataRoot (data/aspire at the repository
// root), Pfs:Redis (garnet | redis-server | container), Pfs:DemoRounds (0: forever),
// Pfs:RepairSeconds (60: how often the repair worker runs a pass), Pfs:Secure (true: TLS on every
// server and authentication required, with a development CA, server certificate and client key
// made at the first run under DataRoot/secrets; false runs everything in the clear, for debugging).
var builder = DistributedApplication.CreateBuilder(args);

var fileServerCount = builder.Configuration.GetValue("Pfs:FileServers", 3);
if (fileServerCount < 1)
{
    throw new InvalidOperationException($"Pfs:FileServers must be at least 1, not {fileServerCount}");
}

var dataRoot = Path.GetFullPath(builder.Configuration["Pfs:DataRoot"]
    ?? Path.Combine(builder.AppHostDirectory, "..", "..", "data", "aspire"));
var secrets = builder.Configuration.GetValue("Pfs:Secure", true) ? DevelopmentSecrets.LoadOrCreate(dataRoot) : null;

// Infrastructure: the durable metadata store, and the key both kinds of server sign and check
// capabilities with (generated once, kept in the AppHost's user secrets).
var redis = builder.AddPfsRedis("redis", Path.Combine(dataRoot, "redis"));
var clusterKey = builder.AddParameter("cluster-key",
    new GenerateParameterDefault { MinLength = 44, Lower = true, Upper = true, Numeric = true, Special = false },
    secret: true, persist: true);

// File servers: separate named resources, not replicas, since a striping client must reach
// each one directly. Each keeps its blocks in its own directory, which outlives the app.
var fileServers = Enumerable.Range(0, fileServerCount)
    .Select(i => builder.AddPfsServer<Projects.Pfs_FileServer>($"fileserver-{i}", secrets)
        .WithEnvironment("FileServer__DataDirectory", Path.Combine(dataRoot, $"fileserver-{i}"))
        .WithEnvironment("Pfs__ClusterKey", clusterKey))
    .ToList();

// The metadata server: file servers in stripe order, metadata in Redis.
var metaserver = builder.AddPfsServer<Projects.Pfs_MetaServer>("metaserver", secrets)
    .WithEnvironment("MetaServer__FileServers", Extensions.AddressList(fileServers))
    .WithEnvironment("Pfs__ClusterKey", clusterKey)
    .WithReference(redis);
if (redis.CanWaitFor())
{
    metaserver.WaitFor(redis);
}

foreach (var fileServer in fileServers)
{
    metaserver.WithReference(fileServer.ServerEndpoint()).WaitFor(fileServer);
}

// The clients below run as the AppHost's own identity (read-write on everything), registered with the
// metadata server before each of them starts, and trust only the development CA.
var identity = secrets is null ? null : new AppHostIdentity(builder, secrets, clusterKey);

// A small workload (striped write, striped read, an invalidation) so the dashboard has traces at once.
builder.AddDotnetApp<Projects.Pfs_Demo>("demo")
    .WithArgs("--rounds", builder.Configuration["Pfs:DemoRounds"] ?? "0", "--width", Math.Min(3, fileServerCount).ToString(CultureInfo.InvariantCulture))
    .WithReference(metaserver.ServerEndpoint()).WaitFor(metaserver)
    .AsPfsClient(metaserver, identity);

// The repair worker (`pfs repair --every`): a pass at once and then every Pfs:RepairSeconds, rebuilding
// what degraded files lost and what the file servers' scrubs found damaged; its passes and files are
// traces (pfs.repair.pass, pfs.repair.file) and its bytes and files metrics on the dashboard.
builder.AddDotnetApp<Projects.Pfs_Cli>("repair")
    .WithArgs("repair", "--every", builder.Configuration["Pfs:RepairSeconds"] ?? "60")
    .WithEnvironment("PFS_META", metaserver.ServerEndpoint())
    .WaitFor(metaserver)
    .AsPfsClient(metaserver, identity);

builder.Build().Run();
