using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pfs.MetaServer;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class ProgramTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

    /// <summary>The options the server would run with: configuration, the flags on top, bound and checked as the app does.</summary>
    private static MetaServerOptions Bind(string[] args, IConfiguration configuration)
    {
        var commandLine = MetaServerSettings.CommandLine.Parse(args, TextWriter.Null, TextWriter.Null);
        Assert.Null(commandLine.ExitCode);
        var merged = new ConfigurationBuilder().AddConfiguration(configuration).AddSettings(commandLine.Settings).Build();
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(merged)
            .AddPfsServerOptions<MetaServerOptions, MetaServerOptionsValidator>(MetaServerSettings.Section, (MetaServerSettings.Redis.Key, nameof(MetaServerOptions.Redis))).Services
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<MetaServerOptions>>().Value;
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--port", "abc", "--file-servers", "localhost:1")]
    [InlineData("--port", "70000", "--file-servers", "localhost:1")]
    [InlineData("--port")]
    [InlineData("--port", "1")]
    [InlineData("--file-servers", "http://a:1/path")]
    [InlineData("--file-servers", "ftp://a:1")]
    [InlineData("--file-servers", "a:1,,b:2")]
    [InlineData("--file-servers", "a:1", "--lease-seconds", "0")]
    [InlineData("--file-servers", "a:1", "--bind", "not-an-ip")]
    [InlineData("--port", "0", "--file-servers", "a:1", "--max-connections", "0")]
    [InlineData("--port", "0", "--file-servers", "a:1", "--max-connections", "many")]
    public async Task BadFlagsExitWithTwoAndOneLineOnStderr(params string[] args)
    {
        using var error = new StringWriter();

        var exitCode = await Program.RunAsync(args, Configuration(), TextWriter.Null, error).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, exitCode);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("Pfs.MetaServer: ", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadConfigurationExitsWithTwoAndNamesTheSetting()
    {
        using var error = new StringWriter();

        var exitCode = await Program.RunAsync([], Configuration(("MetaServer:FileServers", "a:1"), ("MetaServer:LeaseSeconds", "-3")), TextWriter.Null, error)
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, exitCode);
        Assert.Contains("MetaServer:LeaseSeconds", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FlagsAreTurnedIntoNormalisedOptions()
    {
        var options = Bind(
            ["--port", "50051", "--bind", "127.0.0.1", "--file-servers", "localhost:50052, https://fs1:443", "--lease-seconds", "2.5"],
            Configuration());

        Assert.Equal(50051, options.Port);
        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.Equal(["http://localhost:50052", "https://fs1"], options.FileServers);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.LeaseTimeout);
        Assert.Null(options.Redis);
    }

    [Fact]
    public void ConfigurationFillsInWhatTheFlagsLeaveOut()
    {
        var options = Bind([], Configuration(("MetaServer:FileServers", "fs0:1,fs1:2"), ("ConnectionStrings:redis", "redis:6379")));

        Assert.Null(options.Port);
        Assert.Equal(["http://fs0:1", "http://fs1:2"], options.FileServers);
        Assert.Equal("redis:6379", options.Redis);
    }

    [Fact]
    public void FlagsWinOverConfiguration()
    {
        var options = Bind(["--file-servers", "flag:1", "--port", "7"], Configuration(("MetaServer:FileServers", "config:1"), ("Pfs:Port", "8")));

        Assert.Equal(["http://flag:1"], options.FileServers);
        Assert.Equal(7, options.Port);
    }

    [Fact]
    public void TheAppHostsOwnPfsKeysAreNotTheServers()
    {
        // A shell that exported Pfs__Redis / Pfs__FileServers for the AppHost starts a metadata server by hand.
        var options = Bind(["--file-servers", "fs:1"], Configuration(("Pfs:Redis", "garnet"), ("Pfs:FileServers", "5"), ("Pfs:Port", "9")));

        Assert.Null(options.Redis);
        Assert.Equal(["http://fs:1"], options.FileServers);
        Assert.Equal(9, options.Port);
    }
}
