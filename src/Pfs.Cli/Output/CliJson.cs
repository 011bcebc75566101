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

    /// <summary>Stale positions repairs returned to use since the metadata server started.</summary>
    public long RepairedPositions { get; init; }

    /// <summary>Repairs of files that returned any, since the metadata server started.</summary>
    public long RepairedFiles { get; init; }

    /// <summary>When the last of them closed; null if none.</summary>
    public DateTimeOffset? LastRepair { get; init; }
}

/// <summary>One file server's health, as <c>pfs stats</c> shows it.</summary>
internal sealed record ServerHealth(int Server, string Address, string Health);

/// <summary><c>pfs stripe --json</c>.</summary>
/// <remarks>
/// For a file with parity <c>Servers</c> is empty (block i is not on server i % K): <c>Positions</c> says what each
/// of the K + M positions holds, and <c>FirstStripes</c> where the data and parity of the first stripes are.
/// </remarks>
internal sealed record StripeJson(string Name, long Size, int BlockSize, int StripeWidth, long BlockCount, IReadOnlyList<ServerShare> Servers)
{
    public int ParityBlocks { get; init; }

    public IReadOnlyList<PositionShare>? Positions { get; init; }

    public IReadOnlyList<int>? StalePositions { get; init; }

    public IReadOnlyList<IReadOnlyList<string>>? FirstStripes { get; init; }
}
