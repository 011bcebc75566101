using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pfs.FileServer;
using Pfs.ServiceDefaults.Settings;

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
    [InlineData("--port", "0", "--bind", "127.0.0.1")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--max-stages", "0")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--write-budget-mib", "64")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--write-budget-mib", "-1")]
    [InlineData("--port", "0", "--data-dir", "/tmp/x", "--max-connections", "0")]
    public async Task BadCommandLinesPrintOneLineAndExitTwo(params string[] args)
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = await Program.RunAsync(args, Configuration(), output, error).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
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
    public async Task HelpPrintsUsageAndExitsZero()
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();

        // Act
        var exitCode = await Program.RunAsync(["--help"], Configuration(), output, error).WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        Assert.Equal(0, exitCode);
        Assert.Contains("--data-dir", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void GoodFlagsBecomeOptions()
    {
        // Act
        var options = Bind(["--port", "7000", "--data-dir", "/srv/pfs", "--bind", "127.0.0.1", "--delay-ms", "5"], Configuration());

        // Assert
        Assert.Equal(new FileServerOptions { Port = 7000, DataDirectory = "/srv/pfs", BindAddress = "127.0.0.1", DelayMs = 5 }, options);
    }

    [Fact]
    public void LimitsComeFromFlagsOverConfigurationElseTheirDefaults()
    {
        // Act
        var configuration = Configuration(("FileServer:MaxStages", "7"), ("FileServer:WriteBudgetMiB", "1000"));
        var fromFlags = FileServerLimits.From(Bind(["--data-dir", "/srv/pfs", "--max-stages", "100", "--write-budget-mib", "256"], configuration));
        var fromConfiguration = FileServerLimits.From(Bind(["--data-dir", "/srv/pfs"], configuration));
        var defaults = FileServerLimits.From(Bind(["--data-dir", "/srv/pfs"], Configuration()));

        // Assert
        Assert.Equal((100, 256L << 20), (fromFlags.MaxStages, fromFlags.WriteBudgetBytes));
        Assert.Equal((7, 1000L << 20), (fromConfiguration.MaxStages, fromConfiguration.WriteBudgetBytes));
        Assert.Equal((4096, 512L << 20), (defaults.MaxStages, defaults.WriteBudgetBytes));
    }

    [Fact]
    public void TheEagerWritebackIsOnByDefaultAndConfigurationCanTurnItOff()
    {
        // Act
        var defaults = Bind(["--data-dir", "/srv/pfs"], Configuration());
        var off = Bind(["--data-dir", "/srv/pfs"], Configuration(("FileServer:WritebackMiB", "0")));

        // Assert
        Assert.Equal(4, defaults.WritebackMiB);
        Assert.Equal(0, off.WritebackMiB);
    }

    [Theory]
    [InlineData("FileServer:MaxStages", "0")]
    [InlineData("FileServer:WriteBudgetMiB", "1")]
    [InlineData("FileServer:WriteBudgetWait", "-00:00:01")]
    [InlineData("FileServer:WritebackMiB", "-1")]
    [InlineData("FileServer:WritebackMiB", "4096")]
    public void BadLimitsInConfigurationAreRefusedAtStart(string key, string value)
    {
        // Act
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(["--data-dir", "/srv/pfs"], Configuration((key, value))));

        // Assert
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Pfs:MaxConnections", "-3")]
    [InlineData("Pfs:HandshakeSeconds", "0")]
    [InlineData("Pfs:IdleSeconds", "-1")]
    public async Task BadConnectionLimitsInConfigurationStopTheStartInOneLine(string key, string value)
    {
        // Arrange
        using var output = new StringWriter();
        using var error = new StringWriter();
        var data = Directory.CreateTempSubdirectory("pfs-limits-").FullName;

        // Act
        var exitCode = await Program.RunAsync(["--port", "0", "--data-dir", data], Configuration((key, value)), output, error)
            .WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        Directory.Delete(data, recursive: true);
        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(key, line, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsentFlagsSetNothing()
    {
        // Act
        var commandLine = FileServerSettings.CommandLine.Parse([], TextWriter.Null, TextWriter.Null);

        // Assert
        Assert.Null(commandLine.ExitCode);
        Assert.Empty(commandLine.Settings);
    }

    [Fact]
    public void DataDirectoryFlagWinsOverConfiguration()
    {
        // Act
        var options = Bind(["--data-dir", "/from/flag"], Configuration(("FileServer:DataDirectory", "/from/config")));

        // Assert
        Assert.Equal("/from/flag", options.DataDirectory);
    }

    [Fact]
    public void DataDirectoryComesFromConfigurationWithoutAFlag()
    {
        // Act
        var options = Bind([], Configuration(("FileServer:DataDirectory", "/from/config"), ("Pfs:Port", "0")));

        // Assert
        Assert.Equal("/from/config", options.DataDirectory);
        Assert.Equal(0, options.Port);
    }

    [Fact]
    public void NoDataDirectoryAnywhereIsRefused()
    {
        // Act
        var ex = Assert.Throws<OptionsValidationException>(() => Bind([], Configuration()));

        // Assert
        Assert.Contains("FileServer:DataDirectory", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The options the server would run with: configuration, the flags on top, bound and checked as the app does.</summary>
    private static FileServerOptions Bind(string[] args, IConfiguration configuration)
    {
        var commandLine = FileServerSettings.CommandLine.Parse(args, TextWriter.Null, TextWriter.Null);
        Assert.Null(commandLine.ExitCode);
        var merged = new ConfigurationBuilder().AddConfiguration(configuration).AddSettings(commandLine.Settings).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(merged)
            .AddPfsServerOptions<FileServerOptions, FileServerOptionsValidator>(FileServerSettings.Section).Services
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<FileServerOptions>>().Value;
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
}
