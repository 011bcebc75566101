using System.Globalization;
using Pfs.LocalCluster;

namespace Pfs.Consistency;

/// <summary>
/// <c>dotnet run -c Release --project tests/Pfs.Consistency -- [--ops N] [--clients N] [--seed N] [--parity M] [--long]</c>:
/// runs the checker against an in-process cluster and reports ops/s; on a violation prints the
/// seed and the history and exits 1.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--hold-write", var name, "--meta", var meta])
        {
            return await HoldWriteAsync(name, new Uri(meta), 4096);
        }

        if (args is ["--hold-write", var bigName, "--meta", var bigMeta, "--bytes", var bytes])
        {
            return await HoldWriteAsync(bigName, new Uri(bigMeta), int.Parse(bytes, CultureInfo.InvariantCulture));
        }

        var options = new CheckerOptions();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--long":
                    options = options with { Operations = 1_000_000, TimeLimit = TimeSpan.FromHours(2) };
                    break;
                case "--ops" when i + 1 < args.Length:
                    options = options with { Operations = long.Parse(args[++i], CultureInfo.InvariantCulture) };
                    break;
                case "--clients" when i + 1 < args.Length:
                    options = options with { Clients = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                    break;
                case "--parity" when i + 1 < args.Length:
                    options = options with { ParityBlocks = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                    break;
                case "--seed" when i + 1 < args.Length:
                    options = options with { Seed = int.Parse(args[++i], CultureInfo.InvariantCulture) };
                    break;
                default:
                    Console.Error.WriteLine($"Pfs.Consistency: unknown argument '{args[i]}' (use --ops N, --clients N, --seed N, --parity M, --long)");
                    return 2;
            }
        }

        await using var cluster = await PfsCluster.StartAsync(fileServers: 3 + options.ParityBlocks);
        Console.WriteLine($"checking {options.Operations:N0} operations, {options.Clients} clients, {options.Files} files, seed {options.Seed}...");
        try
        {
            var result = await new ConsistencyChecker(cluster, options).RunAsync();
            Console.WriteLine($"no violation: {result.Operations:N0} operations ({result.Reads:N0} reads checked, {result.Writes:N0} writes, " +
                              $"{result.Sessions:N0} open/close sessions) in {result.Elapsed.TotalSeconds:0.0} s = {result.OperationsPerSecond:N0} ops/s");
            return 0;
        }
        catch (ConsistencyViolationException violation)
        {
            Console.Error.WriteLine(violation.Message);
            return 1;
        }
    }

    // For fault tests: opens NAME for writing, writes BYTES of 0xBB from offset 0 without closing
    // (more than the cache holds makes it write blocks back to the file servers), prints "holding"
    // with its write-back count, and waits to be killed. No write-behind: every write-back has
    // landed on the file servers before WriteAsync returns, so the count printed is of blocks they hold.
    private static async Task<int> HoldWriteAsync(string name, Uri meta, int bytes)
    {
        var client = await Pfs.Client.PfsClient.ConnectAsync(new Pfs.Client.PfsClientOptions
        {
            ClientId = $"holder-{Environment.ProcessId}",
            MetaServer = meta,
            WriteBehindBytes = 0,
        });
        var file = await client.OpenAsync(name, Pfs.Client.PfsOpenMode.Write);
        var data = new byte[bytes];
        Array.Fill(data, (byte)0xBB);
        await file.WriteAsync(data, 0);
        Console.WriteLine($"holding, writebacks={client.Stats.Writebacks}");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
