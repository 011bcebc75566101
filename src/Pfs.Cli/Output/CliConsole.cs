using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console;

namespace Pfs.Cli.Output;

/// <summary>
/// Where a command's output goes: text to <see cref="Out"/>, data (cat, get -) to the same
/// stream as bytes, one-line errors to <see cref="Error"/>. Rich output (a progress bar, boxed
/// tables) only when <see cref="Interactive"/>: stdout is the process's own terminal.
/// </summary>
internal sealed class CliConsole(TextWriter stdout, TextWriter stderr, bool interactive)
{
    private readonly Lock _errorGate = new();
    private IAnsiConsole? _ansi;

    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    public bool Interactive { get; } = interactive;

    /// <summary>Spectre's console over the terminal; only for interactive output.</summary>
    public IAnsiConsole Ansi => _ansi ??= AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(Out),
    });

    private readonly List<string> _afterFailure = [];

    /// <summary>Writes <c>pfs: message</c> as one line on stderr, then the notes kept for after it (<see cref="NoteAfterFailure"/>).</summary>
    public void Fail(string message)
    {
        Note(message);
        WriteNotesAfterFailure();
    }

    /// <summary>
    /// Keeps <paramref name="message"/> to be written after the failure that is on its way (what the clean-up of a
    /// failed command could not undo, say): the cause comes first, then what it left.
    /// </summary>
    public void NoteAfterFailure(string message)
    {
        lock (_errorGate)
        {
            _afterFailure.Add(message);
        }
    }

    /// <summary>Writes the notes kept by <see cref="NoteAfterFailure"/> that no failure has written yet.</summary>
    public void WriteNotesAfterFailure()
    {
        string[] notes;
        lock (_errorGate)
        {
            notes = [.. _afterFailure];
            _afterFailure.Clear();
        }

        foreach (var note in notes)
        {
            Note(note);
        }
    }

    /// <summary>
    /// Writes <c>pfs: message</c> as one line on stderr, whole even when several copies (get -r, rm -r)
    /// say something at once.
    /// </summary>
    public void Note(string message)
    {
        var line = "pfs: " + message.ReplaceLineEndings(" ").Trim();
        lock (_errorGate)
        {
            Error.WriteLine(line);
        }
    }

    /// <summary>Writes <paramref name="value"/> as indented camelCase JSON (see <see cref="CliJson"/>).</summary>
    public void WriteJson<T>(T value, JsonTypeInfo<T> type) => Out.WriteLine(JsonSerializer.Serialize(value, type));

    /// <summary>
    /// A byte stream onto stdout that keeps order with text written before it: the writer's own
    /// stream when it has one, the process's stdout for the console, else UTF-8 decoded into the writer.
    /// </summary>
    public Stream OpenData()
    {
        Out.Flush();
        return Out switch
        {
            StreamWriter { BaseStream: var stream } => new NonClosingStream(stream),
            _ when ReferenceEquals(Out, Console.Out) => StandardOutput.Open(),
            _ => new TextWriterStream(Out),
        };
    }
}
