using Microsoft.Extensions.Configuration;
using Pfs.FileServer;

namespace Pfs.Tests.Unit.FileServer;

public sealed class ProgramTests
{
    [Theory]
    [InlineData("--port", "abc", "--data-dir", "/tmp/x")]
    [InlineData("--bogus")]
    [InlineData("--port", "70000", "--data-dir", "/tmp/x")]
    [InlineData("--port", "-1", "--data-dir", "/tmp/x")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--delay-ms", "-5")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--bind", "not-an-address")]
    [InlineData("--port", "0", "--data-dir")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "stray")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--max-stages", "0")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--write-budget-mib", "64")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--write-budget-mib", "-1")]
    public void BadCommandLinesPrintOneLineAndExitTwo(params string[] args)
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var start = Program.TryParse(args, output, error, out var options, out var exitCode);

        // Assert
        Assert.False(start);
        Assert.Null(options);
        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Pfs.FileServer: ", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "abc")]
    [InlineData("--bogus")]
    [InlineData("--port", "0", "--delay-ms", "x")]
    public async Task MainExitsTwoOnBadFlags(params string[] args)
    {
        // Act
        var exitCode = await Program.Main(args).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        Assert.Equal(2, exitCode);
    }

    [Fact]
    public async Task MainExitsTwoWithoutAnyDataDirectory()
    {
        // Arrange: under a test host nothing sets FileServer:DataDirectory
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FileServer__DataDirectory")));

        // Act
        var exitCode = await Program.Main(["--port", "0", "--bind", "127.0.0.1"]).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        Assert.Equal(2, exitCode);
    }

    [Fact]
    public void HelpPrintsUsageAndExitsZero()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var start = Program.TryParse(["--help"], output, error, out _, out var exitCode);

        // Assert
        Assert.False(start);
        Assert.Equal(0, exitCode);
        Assert.Contains("--data-dir", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void GoodFlagsBecomeOptions()
    {
        // Act
        var start = Program.TryParse(
            ["--port", "7000", "--data-dir", "/srv/pfs", "--bind", "127.0.0.1", "--delay-ms", "5"],
            TextWriter.Null,
            TextWriter.Null,
            out var options,
            out _);

        // Assert
        Assert.True(start);
        Assert.Equal(new FileServerOptions { Port = 7000, DataDirectory = "/srv/pfs", BindAddress = "127.0.0.1", DelayMs = 5 }, options);
    }

    [Fact]
    public void LimitFlagsBecomeOptionsAndOptionsWinOverConfiguration()
    {
        // Arrange
        var configuration = Configuration((FileServerLimits.MaxStagesKey, "7"), (FileServerLimits.WriteBudgetBytesKey, "1000000000"));

        // Act
        Program.TryParse(["--data-dir", "/srv/pfs", "--max-stages", "100", "--write-budget-mib", "256"], TextWriter.Null, TextWriter.Null, out var options, out _);
        var fromFlags = FileServerLimits.Resolve(options!, configuration);
        var fromConfiguration = FileServerLimits.Resolve(new FileServerOptions { DataDirectory = "/srv/pfs" }, configuration);
        var defaults = FileServerLimits.Resolve(new FileServerOptions { DataDirectory = "/srv/pfs" }, Configuration());

        // Assert
        Assert.Equal((100, 256L << 20), (fromFlags.MaxStages, fromFlags.WriteBudgetBytes));
        Assert.Equal((7, 1_000_000_000L), (fromConfiguration.MaxStages, fromConfiguration.WriteBudgetBytes));
        Assert.Equal((4096, 512L << 20), (defaults.MaxStages, defaults.WriteBudgetBytes));
    }

    [Theory]
    [InlineData(FileServerLimits.MaxStagesKey, "0")]
    [InlineData(FileServerLimits.MaxStagesKey, "many")]
    [InlineData(FileServerLimits.WriteBudgetBytesKey, "1048576")]
    public void BadLimitsInConfigurationAreRefusedAtStart(string key, string value)
    {
        // Act
        var ex = Assert.Throws<ArgumentException>(() => FileServerLimits.Resolve(new FileServerOptions { DataDirectory = "/srv/pfs" }, Configuration((key, value))));

        // Assert
        Assert.NotEmpty(ex.Message);
    }

    [Fact]
    public void AbsentPortAndDataDirectoryAreLeftToConfiguration()
    {
        // Act
        var start = Program.TryParse([], TextWriter.Null, TextWriter.Null, out var options, out _);

        // Assert
        Assert.True(start);
        Assert.Null(options!.Port);
        Assert.Equal(string.Empty, options.DataDirectory);
        Assert.Equal(0, options.DelayMs);
    }

    [Fact]
    public void DataDirectoryFlagWinsOverConfiguration()
    {
        // Arrange
        var configuration = Configuration(("FileServer:DataDirectory", "/from/config"));

        // Act
        var resolved = FileServerApp.ResolveDataDirectory("/from/flag", configuration);

        // Assert
        Assert.Equal("/from/flag", resolved);
    }

    [Fact]
    public void DataDirectoryComesFromConfigurationWithoutAFlag()
    {
        // Arrange
        var configuration = Configuration(("FileServer:DataDirectory", "/from/config"));

        // Act
        var resolved = FileServerApp.ResolveDataDirectory(string.Empty, configuration);

        // Assert
        Assert.Equal("/from/config", resolved);
    }

    [Fact]
    public void NoDataDirectoryAnywhereIsRefused()
    {
        // Act
        var ex = Assert.Throws<ArgumentException>(() => FileServerApp.ResolveDataDirectory(null, Configuration()));

        // Assert
        Assert.Contains("FileServer:DataDirectory", ex.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
}
