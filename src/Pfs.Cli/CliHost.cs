using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Pfs.Cli.Output;
using Pfs.Client;
using Pfs.Protocol.Transport;

namespace Pfs.Cli;

/// <summary>
/// What every command shares for one run: the console, the environment, the global options
/// (<c>--meta</c>, <c>--timeout</c>) and the wrapper that connects a client, runs the command
/// and turns failures into a one-line message and an exit code.
/// </summary>
internal sealed class CliHost(CliConsole console, Func<string, string?> environment)
{
    public const string MetaVariable = "PFS_META";
    public const string DefaultMeta = "http://localhost:50051";
    public const string KeyVariable = "PFS_KEY";
    public const string TlsCaVariable = "PFS_TLS_CA";

    private static int _clients;

    public CliConsole Console { get; } = console;

    /// <summary>The environment variables this run sees.</summary>
    public Func<string, string?> Variables { get; } = environment;

    public Option<string?> Meta { get; } = new("--meta", "-m")
    {
        Description = $"Metadata server address, e.g. http://host:50051 (default: ${MetaVariable}, else {DefaultMeta})",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = "This client's key (pfs1.NAME.KEY), or a file holding it (default: $PFS_KEY, else ~/.pfs/client.key if it exists)",
        HelpName = "KEY|FILE",
        Recursive = true,
    };

    public Option<string?> TlsCa { get; } = new("--tls-ca")
    {
        Description = "PEM CA certificate the servers' TLS certificates must chain to (default: $PFS_TLS_CA, else the system's trust store)",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for an unreachable server before giving up",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
        Recursive = true,
        CustomParser = static result => ParseTimeout(result),
    };

    /// <summary>Makes <paramref name="body"/> the command's action, with a connected client.</summary>
    public void SetClientAction(Command command, Func<ParseResult, PfsClient, CancellationToken, Task<int>> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<ParseResult, PfsClient, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            var options = new PfsClientOptions
            {
                ClientId = $"pfs-{Environment.MachineName}-{Environment.ProcessId}-{Interlocked.Increment(ref _clients)}",
                MetaServer = MetaServer(parse),
                OperationTimeout = TimeSpan.FromSeconds(parse.GetValue(Timeout)),
                CacheBlocks = 64,
            };
            options = WithKey(parse, options);
            await using var client = await PfsClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            return await body(parse, client, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException ex)
        {
            Console.Fail(ex.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Fail("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (ReaderGoneException)
        {
            // Nobody reads what would be printed: stop without a word, like cat under `| head`.
            return ExitCodes.ReaderGone;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // PfsException is an IOException: server-side and local file failures read the same.
            Console.Fail(ex.Message);
            return ExitCodes.Error;
        }
    }

    /// <summary>
    /// The key from <c>--key</c> (the key itself, or a file holding it), else <c>PFS_KEY</c>; without
    /// either the library looks in ~/.pfs/client.key.
    /// </summary>
    public PfsClientOptions WithKey(ParseResult parse, PfsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = parse.GetValue(Key) is { Length: > 0 } flag ? flag : Variables(KeyVariable);
        if (TlsCaFile(parse) is { } authority)
        {
            options = options with { TlsCa = authority };
        }

        return key switch
        {
            null or "" => options,
            _ when key.TrimStart().StartsWith("pfs1.", StringComparison.Ordinal) => options with { Key = key },
            _ => options with { KeyFile = key },
        };
    }

    /// <summary>The CA file from <c>--tls-ca</c>, else <c>PFS_TLS_CA</c>; null for the system's trust store.</summary>
    public string? TlsCaFile(ParseResult parse) =>
        (parse.GetValue(TlsCa) is { Length: > 0 } flag ? flag : Variables(TlsCaVariable)) is { Length: > 0 } authority ? authority : null;

    public Uri MetaServer(ParseResult parse)
    {
        var (text, source) = parse.GetValue(Meta) is { Length: > 0 } flag
            ? (flag, "--meta")
            : Variables(MetaVariable) is { Length: > 0 } variable
                ? (variable, MetaVariable)
                : (DefaultMeta, "the default");
        return PfsAddress.TryParse(text, out var uri)
            ? uri
            : throw new UsageException($"{source} '{text}' is not an address like http://host:50051");
    }

    private static double ParseTimeout(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 3600)
        {
            return seconds;
        }

        result.AddError($"--timeout '{text}' must be a number of seconds above 0 and at most 3600");
        return 0;
    }
}
