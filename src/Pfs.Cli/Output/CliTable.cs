using Spectre.Console;

namespace Pfs.Cli.Output;

/// <summary>
/// A table: boxed by Spectre on a terminal, plain space-aligned columns (one row a line,
/// easy to grep, cut and awk) otherwise.
/// </summary>
internal sealed class CliTable(params string[] headers)
{
    private readonly string[] _headers = headers;
    private readonly List<string[]> _rows = [];
    private readonly HashSet<int> _rightAligned = [];

    public CliTable AlignRight(params int[] columns)
    {
        _rightAligned.UnionWith(columns);
        return this;
    }

    public void AddRow(params string[] cells) => _rows.Add(cells);

    public void Write(CliConsole console)
    {
        if (console.Interactive)
        {
            var table = new Table().RoundedBorder();
            for (var i = 0; i < _headers.Length; i++)
            {
                var column = new TableColumn(Markup.Escape(_headers[i]));
                table.AddColumn(_rightAligned.Contains(i) ? column.RightAligned() : column);
            }

            foreach (var row in _rows)
            {
                table.AddRow(row.Select(cell => new Text(cell)).ToArray<Spectre.Console.Rendering.IRenderable>());
            }

            console.Ansi.Write(table);
            return;
        }

        var widths = new int[_headers.Length];
        foreach (var row in _rows.Prepend(_headers))
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].GetCellWidth());
            }
        }

        foreach (var row in _rows.Prepend(_headers))
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 && !_rightAligned.Contains(i)
                ? cell
                : _rightAligned.Contains(i) ? Pad(cell, widths[i]) + cell : cell + Pad(cell, widths[i]));
            console.Out.WriteLine(string.Join("  ", cells));
        }
    }

    // Columns line up by what a terminal shows, not by UTF-16 code units: a CJK character takes two columns,
    // a combining accent none.
    private static string Pad(string cell, int width) => new(' ', Math.Max(0, width - cell.GetCellWidth()));
}
