using Microsoft.Extensions.Configuration;
using Pfs.MetaServer;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class ProgramTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

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
    public async Task BadFlagsExitWithTwoAndOneLineOnStderr(params string[] args)
    {
        using var error = new StringWriter();

        var exitCode = await Program.RunAsync(args, Configuration(), error).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, exitCode);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("Pfs.MetaServer: ", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void FlagsAreTurnedIntoNormalisedOptions()
    {
        var result = MetaServerCommandLine.Parse(
            ["--port", "50051", "--bind", "127.0.0.1", "--file-servers", "localhost:50052, https://fs1:443", "--lease-seconds", "2.5"],
            Configuration());

        Assert.Null(result.Error);
        var options = result.Options!;
        Assert.Equal(50051, options.Port);
        Assert.Equal("127.0.0.1", options.BindAddress);
        Assert.Equal(["http://localhost:50052", "https://fs1"], options.FileServers);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.LeaseTimeout);
        Assert.Null(options.Redis);
    }

    [Fact]
    public void ConfigurationFillsInWhatTheFlagsLeaveOut()
    {
        var result = MetaServerCommandLine.Parse(
            [],
            Configuration(("MetaServer:FileServers", "fs0:1,fs1:2"), ("ConnectionStrings:redis", "redis:6379")));

        Assert.Null(result.Error);
        Assert.Null(result.Options!.Port);
        Assert.Equal(["http://fs0:1", "http://fs1:2"], result.Options.FileServers);
        Assert.Equal("redis:6379", result.Options.Redis);
    }

    [Fact]
    public void FlagsWinOverConfiguration()
    {
        var result = MetaServerCommandLine.Parse(
            ["--file-servers", "flag:1"],
            Configuration(("MetaServer:FileServers", "config:1")));

        Assert.Equal(["http://flag:1"], result.Options!.FileServers);
    }
}
