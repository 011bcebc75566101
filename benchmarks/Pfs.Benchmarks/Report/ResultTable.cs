namespace Pfs.Benchmarks.Report;

/// <summary>The printed result: sections of figures in aligned plain-text columns (also valid Markdown).</summary>
internal sealed class ResultTable
{
    private static readonly string[] Headers = ["figure", "value", "ratio", "target", "result"];

    private readonly List<(string Section, Figure Figure)> _rows = [];

    public IReadOnlyList<Figure> Figures => _rows.Select(r => r.Figure).ToList();

    public void Add(string section, Figure figure) => _rows.Add((section, figure));

    public int Misses => _rows.Count(r => r.Figure.Verdict == Verdict.Miss);

    public int Unmeasured => _rows.Count(r => r.Figure.Verdict == Verdict.NotMeasured);

    public void Write(TextWriter output)
    {
        var cells = _rows.Select(r => new[]
        {
            $"{r.Section}: {r.Figure.Name}",
            r.Figure.Value,
            r.Figure.Ratio,
            r.Figure.Target,
            r.Figure.Verdict switch { Verdict.Pass => "PASS", Verdict.Miss => "MISS", Verdict.NotMeasured => Figure.NotMeasured, _ => string.Empty },
        }).ToList();
        var widths = Enumerable.Range(0, Headers.Length)
            .Select(c => cells.Select(row => row[c].Length).Append(Headers[c].Length).Max())
            .ToArray();

        output.WriteLine(Line(Headers, widths));
        output.WriteLine(Line(widths.Select(w => new string('-', w)).ToArray(), widths));
        foreach (var row in cells)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        "| " + string.Join(" | ", cells.Select((cell, c) => c is 1 or 2 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))) + " |";
}
