namespace Pfs.Tests.Integration.Cli;

/// <summary>Help and usage errors: no server needed, except to show that none is contacted.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task HelpExitsZeroAndNamesEveryCommand()
    {
        var result = await CliRunner.RunRawAsync(["--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var command in new[] { "put", "get", "cat", "ls", "stat", "rm", "stripe", "stats" })
        {
            Assert.Contains($"  {command} ", result.Stdout);
        }

        Assert.Contains("PFS_META", result.Stdout);
        Assert.Empty(result.Stderr);
    }

    [Theory]
    [InlineData("put", "--stripe-width")]
    [InlineData("get", "LOCAL")]
    [InlineData("cat", "NAME")]
    [InlineData("ls", "--json")]
    [InlineData("stat", "PATH")]
    [InlineData("rm", "--recursive")]
    [InlineData("mkdir", "--parents")]
    [InlineData("rmdir", "PATH")]
    [InlineData("mv", "TO")]
    [InlineData("ln", "--symbolic")]
    [InlineData("truncate", "--size")]
    [InlineData("stripe", "NAME")]
    [InlineData("stats", "--json")]
    public async Task EveryCommandHasHelpThatExitsZero(string command, string mentions)
    {
        var result = await CliRunner.RunRawAsync([command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"pfs {command}", result.Stdout);
        Assert.Contains(mentions, result.Stdout);
        Assert.Contains("--meta", result.Stdout);
    }

    [Fact]
    public async Task AnUnknownCommandIsAUsageErrorOnOneLine()
    {
        var result = await CliRunner.RunRawAsync(["frobnicate"]);

        CliRunner.AssertFailed(result, 2, "'frobnicate'");
    }

    [Fact]
    public async Task NoCommandAtAllIsAUsageError()
    {
        var result = await CliRunner.RunRawAsync([]);

        CliRunner.AssertFailed(result, 2, "pfs --help");
    }

    [Fact]
    public async Task AMissingArgumentIsAUsageErrorThatPointsAtTheCommandsHelp()
    {
        var result = await CliRunner.RunRawAsync(["put"]);

        CliRunner.AssertFailed(result, 2, "pfs put --help");
    }

    [Theory]
    [InlineData("--block-size", "1000")]
    [InlineData("--block-size", "256")]
    [InlineData("--block-size", "128M")]
    [InlineData("--block-size", "lots")]
    [InlineData("--stripe-width", "0")]
    [InlineData("--timeout", "-1")]
    public async Task ABadOptionValueIsAUsageError(string option, string value)
    {
        var result = await CliRunner.RunRawAsync(["put", "local.bin", "name", option, value]);

        CliRunner.AssertFailed(result, 2, option);
    }

    [Theory]
    [InlineData("ftp://host:50051")]
    [InlineData("http://")]
    public async Task AMalformedMetaServerAddressIsAUsageError(string address)
    {
        var result = await CliRunner.RunRawAsync(["ls", "--meta", address]);

        CliRunner.AssertFailed(result, 2, "--meta");
    }

    [Fact]
    public async Task AMalformedPfsMetaVariableIsAUsageErrorThatNamesTheVariable()
    {
        var result = await CliRunner.RunRawAsync(["ls"], new Dictionary<string, string?> { ["PFS_META"] = "ftp://nowhere" });

        CliRunner.AssertFailed(result, 2, "PFS_META");
    }

    [Fact]
    public async Task AnUnreachableMetaServerIsAnErrorOnOneLineWithinTheTimeout()
    {
        var result = await CliRunner.RunRawAsync(["ls", "--meta", "http://127.0.0.1:1", "--timeout", "1"]);

        CliRunner.AssertFailed(result, 1, "could not be reached");
    }

    [Fact]
    public async Task ACancelledCommandExitsWith130AndSaysSo()
    {
        var result = await CliRunner.RunRawAsync(["ls", "--meta", "http://127.0.0.1:1"], cancellationToken: new CancellationToken(canceled: true));

        CliRunner.AssertFailed(result, 130, "cancelled");
    }
}
