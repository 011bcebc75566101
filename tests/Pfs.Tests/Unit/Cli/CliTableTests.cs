using Pfs.Cli.Output;

namespace Pfs.Tests.Unit.Cli;

public sealed class CliTableTests
{
    [Fact]
    public void PlainColumnsLineUpByDisplayWidthForWideAndCombiningCharacters()
    {
        var table = new CliTable("NAME", "SIZE", "MODIFIED").AlignRight(1);
        table.AddRow("plain", "1", "x");
        table.AddRow("日本語", "22", "x");          // three characters, six columns
        table.AddRow("cafe\u0301", "333", "x");    // five code units, four columns
        var output = new StringWriter();

        table.Write(new CliConsole(output, TextWriter.Null, interactive: false));

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "NAME    SIZE  MODIFIED",
            "plain      1  x",
            "日本語    22  x",
            "cafe\u0301     333  x",
        ], lines);
    }
}
