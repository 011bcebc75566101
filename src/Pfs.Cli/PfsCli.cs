using System.CommandLine;
using System.CommandLine.Help;
using Pfs.Cli.Commands;
using Pfs.Cli.Output;

namespace Pfs.Cli;

/// <summary>The <c>pfs</c> command line, runnable in-process (tests call it with their own writers).</summary>
public static class PfsCli
{
    /// <summary>
    /// Parses and runs one command line. Returns the exit code: 0 ok, 1 error, 2 usage, 130 cancelled.
    /// A progress bar and boxed tables appear only when <paramref name="stdout"/> is the process's
    /// console and it is a terminal; otherwise output is plain text.
    /// </summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="stdout">Where output (and, for <c>cat</c> and <c>get NAME -</c>, file data) goes; a
    /// <see cref="StreamWriter"/> gets data as raw bytes on its stream.</param>
    /// <param name="stderr">Where one-line errors go.</param>
    /// <param name="environment">Environment variables to use (<c>PFS_META</c>); null reads the process's.</param>
    /// <param name="cancellationToken">Cancels the running command.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        var console = new CliConsole(stdout, stderr, interactive);
        Func<string, string?> lookup = environment is null
            ? Environment.GetEnvironmentVariable
            : name => environment.GetValueOrDefault(name);
        var host = new CliHost(console, lookup);

        var parse = BuildRoot(host).Parse(TrimTrailingSlashes(args));
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            // An unknown word explains more than the "required command" error it also causes.
            var error = parse.UnmatchedTokens.Count > 0
                ? $"unrecognized command or argument '{parse.UnmatchedTokens[0]}'"
                : parse.Errors[0].Message;
            console.Fail($"{error} (see 'pfs {string.Concat(CommandPath(parse).Select(name => name + " "))}--help')");
            return ExitCodes.Usage;
        }

        if (OptionCheck.Find(parse, args) is { } unknown)
        {
            console.Fail($"{unknown} (see 'pfs {string.Concat(CommandPath(parse).Select(name => name + " "))}--help'; a name that starts with '-' goes after '--')");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // The caller owns cancellation (Program wires Ctrl+C to the token).
                ProcessTerminationTimeout = null,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Commands report the failures they expect; whatever else happens is still one line.
            console.Fail($"unexpected {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Error;
        }
        finally
        {
            // Whatever the failure's path, nothing kept for after it is lost.
            console.WriteNotesAfterFailure();
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    // A plain command named "pfs" rather than a RootCommand, whose name (shown in usage) is the
    // host executable's: Pfs.Cli under dotnet run, testhost in tests.
    private static Command BuildRoot(CliHost host)
    {
        var root = new Command("pfs",
            "pfs: move files in and out of a Pfs parallel file system and look inside it.\n" +
            $"The metadata server is --meta URL, else ${CliHost.MetaVariable}, else {CliHost.DefaultMeta}.")
        {
            new HelpOption(),
            new VersionOption(),
            host.Meta,
            host.Timeout,
            host.Key,
            host.TlsCa,
            PutCommand.Create(host),
            GetCommand.Create(host),
            CatCommand.Create(host),
            LsCommand.Create(host),
            StatCommand.Create(host),
            RmCommand.Create(host),
            DirectoryCommands.CreateMkdir(host),
            DirectoryCommands.CreateRmdir(host),
            MvCommand.Create(host),
            LnCommand.Create(host),
            TruncateCommand.Create(host),
            StripeCommand.Create(host),
            StatsCommand.Create(host),
            RepairCommand.Create(host),
            MountCommand.Create(host),
            AdminCommand.Create(host),
        };
        return root;
    }

    // The commands whose operands are paths (in Pfs or local), where 'dir/' means the directory, as coreutils take it.
    private static readonly HashSet<string> PathCommands = ["ls", "stat", "cat", "get", "put", "rm", "mv", "mkdir", "rmdir", "truncate", "stripe"];

    private static readonly HashSet<string> CommandNames = [.. PathCommands, "ln", "stats", "repair", "mount", "admin"];

    /// <summary>
    /// 'pfs ls dir/' and 'pfs put -r src/ dst/': a path with a trailing '/' names the directory (the root stays '/').
    /// Pfs itself refuses such a path (the contract's rule), so the tool drops the slashes of the path commands'
    /// words; ln keeps them (a symbolic link's target is stored as given).
    /// </summary>
    private static string[] TrimTrailingSlashes(string[] args)
    {
        // The command is the first word that names one (options such as --meta URL may come before it).
        var command = Array.FindIndex(args, arg => CommandNames.Contains(arg));
        if (command < 0 || !PathCommands.Contains(args[command]))
        {
            return args;
        }

        var trimmed = (string[])args.Clone();
        for (var i = command + 1; i < trimmed.Length && trimmed[i] != "--"; i++)
        {
            // Not an address (--meta http://host:50051/), whose slash is its own.
            if (trimmed[i].Length > 1 && trimmed[i].EndsWith('/') && !trimmed[i].StartsWith('-') && !trimmed[i].Contains("://", StringComparison.Ordinal)
                && trimmed[i].TrimEnd('/').Length > 0)
            {
                trimmed[i] = trimmed[i].TrimEnd('/');
            }
        }

        return trimmed;
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var path = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            path.Insert(0, result.Command.Name);
        }

        return path;
    }
}
