using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Pfs.Cli.Output;
using Pfs.Client;
using Pfs.Protocol;

namespace Pfs.Cli.Commands;

/// <summary>
/// How the files a command creates are laid out (<c>put</c>, <c>put -r</c>, <c>mount</c>): stripe width K, block size
/// and M parity blocks per stripe, each parsed and refused in one line before anything is done.
/// </summary>
internal sealed class LayoutOptions
{
    public LayoutOptions(int defaultBlockSize, string widthDefault)
    {
        Width = new Option<int?>("--stripe-width", "-w")
        {
            Description = $"Number of file servers each file's data is striped over, K (default: {widthDefault})",
            HelpName = "K",
            CustomParser = static result => ParseWidth(result),
        };
        BlockSize = new Option<int>("--block-size", "-b")
        {
            Description = "Block (stripe unit) size: a power of two from 512 to 64M, e.g. 4096, 64K, 1M",
            HelpName = "BYTES",
            DefaultValueFactory = _ => defaultBlockSize,
            CustomParser = static result => ParseBlockSize(result),
        };
        Parity = new Option<int>("--parity", "-p")
        {
            Description = "Reed-Solomon parity blocks per stripe, M, on M more file servers: each file survives any M of its servers lost (default: 0)",
            HelpName = "M",
            CustomParser = static result => ParseParity(result),
        };
    }

    public Option<int?> Width { get; }

    public Option<int> BlockSize { get; }

    public Option<int> Parity { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Width);
        command.Options.Add(BlockSize);
        command.Options.Add(Parity);
    }

    /// <summary>
    /// K: the width asked for (the metadata server refuses, naming it, one the cluster is too small for), else
    /// every file server the parity leaves (the cluster is asked how many it has only then).
    /// </summary>
    public static async Task<int> DataWidthAsync(PfsClient client, int? width, int parity, CancellationToken cancellationToken)
    {
        if (width is { } asked)
        {
            return asked;
        }

        var servers = (await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false)).FileServers.Count;
        return servers - parity >= 1
            ? servers - parity
            : throw new UsageException($"--parity {parity} needs at least {parity + 1} file servers; the cluster has {servers}");
    }

    private static int? ParseWidth(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width >= 1)
        {
            return width;
        }

        result.AddError($"--stripe-width '{text}' must be a whole number of at least 1");
        return null;
    }

    private static int ParseParity(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parity))
        {
            return parity;
        }

        result.AddError($"--parity '{text}' must be a whole number (0 for none)");
        return 0;
    }

    private static int ParseBlockSize(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!Sizes.TryParse(text, out var bytes) || bytes > int.MaxValue)
        {
            result.AddError($"--block-size '{text}' is not a size such as 4096, 64K or 1M");
            return 0;
        }

        if (BlockSizes.Validate((int)bytes) is { } problem)
        {
            result.AddError($"--block-size '{text}': {problem}");
            return 0;
        }

        return (int)bytes;
    }
}
