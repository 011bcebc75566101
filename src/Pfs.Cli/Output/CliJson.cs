using System.Text.Json;
using System.Text.Json.Serialization;
using Pfs.Client;

namespace Pfs.Cli.Output;

/// <summary>
/// Every type a command prints with <c>--json</c>, serialized by generated code: the tool is
/// published with Native AOT (for its start-up time), where reflection-based serialization is
/// off. Web defaults (camelCase names), indented. A command that prints a new type adds it here.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(PfsFileInfo))]
[JsonSerializable(typeof(IReadOnlyList<PfsFileInfo>))]
[JsonSerializable(typeof(ClusterStatsJson))]
[JsonSerializable(typeof(StripeJson))]
internal sealed partial class CliJson : JsonSerializerContext;

/// <summary><c>pfs stats --json</c>.</summary>
internal sealed record ClusterStatsJson(long FileCount, long TotalBytes, int OpenForRead, int OpenForWrite, int LocksHeld, int LocksWaiting,
                                        int SubscribedClients, IReadOnlyList<ServerHealth> FileServers)
{
    /// <summary>Files with parity that have stale positions (they need a repair).</summary>
    public long DegradedFiles { get; init; }
}

/// <summary>One file server's health, as <c>pfs stats</c> shows it.</summary>
internal sealed record ServerHealth(int Server, string Address, string Health);

/// <summary><c>pfs stripe --json</c>.</summary>
internal sealed record StripeJson(string Name, long Size, int BlockSize, int StripeWidth, long BlockCount, IReadOnlyList<ServerShare> Servers);
