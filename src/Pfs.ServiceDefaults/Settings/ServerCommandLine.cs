using System.CommandLine;

namespace Pfs.ServiceDefaults.Settings;

/// <summary>What the command line asked for.</summary>
/// <param name="Settings">Configuration keys and values from the flags given (empty for none).</param>
/// <param name="ExitCode">Null to start the server; otherwise exit with it (after --help, --version or a bad flag).</param>
public sealed record CommandLineResult(IReadOnlyDictionary<string, string?> Settings, int? ExitCode);

/// <summary>
/// A server's flags, parsed once and mapped onto configuration keys (the switch mapping). Only the
/// form of the command line is checked here (unknown flags, missing or unparsable values); what the
/// values mean is checked once, by the options validator, whichever source they came from.
/// </summary>
public sealed class ServerCommandLine(string programName, string description, IReadOnlyList<ServerFlag> flags)
{
    /// <summary>The executable's name, which starts every error line.</summary>
    public string ProgramName { get; } = programName;

    /// <summary>The flags this server takes.</summary>
    public IReadOnlyList<ServerFlag> Flags { get; } = flags;

    /// <summary>
    /// Parses <paramref name="args"/>. --help and --version print to <paramref name="output"/>; a bad
    /// command line prints one line to <paramref name="error"/> and gives <see cref="PfsServerProgram.UsageExitCode"/>.
    /// </summary>
    public CommandLineResult Parse(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        // Fresh symbols per parse: System.CommandLine symbols keep their parents, so they are not shared.
        var options = Flags.Select(CreateOption).ToArray();
        var root = new RootCommand(description);
        foreach (var option in options)
        {
            root.Options.Add(option);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            PfsServerProgram.WriteError(error, ProgramName, string.Join("; ", parsed.Errors.Select(e => e.Message)));
            return new CommandLineResult(new Dictionary<string, string?>(), PfsServerProgram.UsageExitCode);
        }

        if (parsed.Action is not null)
        {
            var exitCode = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
            return new CommandLineResult(new Dictionary<string, string?>(), exitCode);
        }

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Length; i++)
        {
            // The parser has checked the token's type; the binder reads the same text with the invariant culture.
            if (parsed.GetResult(options[i]) is { Tokens: [var token, ..] })
            {
                settings[Flags[i].Key] = token.Value;
            }
            else if (Flags[i].Kind == FlagKind.Switch && parsed.GetResult(options[i]) is { Implicit: false })
            {
                settings[Flags[i].Key] = "true";
            }
        }

        return new CommandLineResult(settings, null);
    }

    private static Option CreateOption(ServerFlag flag) => flag.Kind switch
    {
        FlagKind.Integer => new Option<int>(flag.Name) { Description = flag.Description },
        FlagKind.Number => new Option<double>(flag.Name) { Description = flag.Description },
        FlagKind.Switch => new Option<bool>(flag.Name) { Description = flag.Description },
        _ => new Option<string>(flag.Name) { Description = flag.Description },
    };
}
