using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Pfs.Cli.Output;
using Pfs.Protocol.Transport;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs stats [--json]</c>: the cluster as the metadata server sees it (files, opens, locks,
/// clients) and each file server's health, asked of the server itself.
/// </summary>
internal static class StatsCommand
{
    private static readonly TimeSpan HealthDeadline = TimeSpan.FromSeconds(2);

    public static Command Create(CliHost host)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of text" };
        var command = new Command("stats", "Show the cluster: file servers and their health, files, open files, locks and clients") { json };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var status = await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
            var health = await Task.WhenAll(status.FileServers.Select(address => CheckAsync(address, host.TlsCaFile(parse), cancellationToken))).ConfigureAwait(false);
            var servers = status.FileServers.Select((address, i) => new ServerHealth(i, address, health[i])).ToList();
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(new ClusterStatsJson(status.FileCount, status.TotalBytes, status.OpenForRead, status.OpenForWrite,
                    status.LocksHeld, status.LocksWaiting, status.SubscribedClients, servers)
                    {
                        DegradedFiles = status.DegradedFiles,
                        RepairedPositions = status.RepairedPositions,
                        RepairedFiles = status.RepairedFiles,
                        LastRepair = status.LastRepair,
                    },
                    CliJson.Default.ClusterStatsJson);
                return ExitCodes.Ok;
            }

            var output = host.Console.Out;
            var serving = servers.Count(server => server.Health == "SERVING");
            output.WriteLine($"file servers:  {servers.Count} ({serving} serving)");
            output.WriteLine($"files:         {status.FileCount} ({status.TotalBytes} bytes, {Sizes.Format(status.TotalBytes)})");
            output.WriteLine($"degraded:      {Counts.Of(status.DegradedFiles, "file")} with stale shards{(status.DegradedFiles > 0 ? " (run 'pfs repair --wait')" : string.Empty)}");
            output.WriteLine(status.LastRepair is { } last
                ? $"repaired:      {Counts.Of(status.RepairedPositions, "stale position")} of {Counts.Of(status.RepairedFiles, "file")} since the metadata server started, the last at {Times.Format(last)}"
                : "repaired:      nothing since the metadata server started");
            output.WriteLine($"open files:    {status.OpenForRead + status.OpenForWrite} ({status.OpenForRead} read, {status.OpenForWrite} write)");
            output.WriteLine($"locks:         {status.LocksHeld} held, {status.LocksWaiting} waiting");
            output.WriteLine($"clients:       {status.SubscribedClients} connected (this one included)");
            output.WriteLine();
            var table = new CliTable("SERVER", "ADDRESS", "HEALTH").AlignRight(0);
            foreach (var server in servers)
            {
                table.AddRow(server.Server.ToString(CultureInfo.InvariantCulture), server.Address, server.Health);
            }

            table.Write(host.Console);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The standard gRPC health check of the whole server (service ""): SERVING, NOT_SERVING, ... or unreachable.</summary>
    private static async Task<string> CheckAsync(string address, string? tlsCa, CancellationToken cancellationToken)
    {
        // Over TLS, the file servers' certificates chain to the cluster's CA, as the metadata server's does.
        using var channel = PfsChannel.Create(PfsAddress.Parse(address), new PfsChannelOptions { ConnectTimeout = HealthDeadline, TlsCaFile = tlsCa });
        try
        {
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest { Service = string.Empty },
                deadline: DateTime.UtcNow + HealthDeadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            return reply.Status switch
            {
                HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
                HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
                HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
                _ => "UNKNOWN",
            };
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? "unreachable" : $"error ({ex.StatusCode})";
        }
    }

}
