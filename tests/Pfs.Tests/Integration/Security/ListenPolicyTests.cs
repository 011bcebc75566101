using System.Net;
using Microsoft.Extensions.Configuration;
using Pfs.FileServer;
using Pfs.MetaServer;
using Pfs.ServiceDefaults;
using Pfs.ServiceDefaults.Security;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Security;

/// <summary>Secure by default: without authentication a server listens on loopback only.</summary>
public sealed class ListenPolicyTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

    [Fact]
    public async Task AServerWithOnlyAPortListensOnLoopback()
    {
        // Arrange: exactly as in the first version, no bind address, key or TLS
        await using var app = MetaServerApp.Build(new MetaServerOptions { Port = 0, FileServers = ["localhost:1"], ClusterKey = TestCaps.Key });

        // Act
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // Assert
        var bound = Assert.Single(app.Urls);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(new Uri(bound).Host)), bound);
        await app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public async Task BindingAnotherAddressWithoutAuthenticationIsRefusedInOneLine(string address)
    {
        using var error = new StringWriter();

        var exitCode = await global::Pfs.MetaServer.Program.RunAsync(["--port", "0", "--bind", address, "--file-servers", "a:1"], Configuration(), TextWriter.Null, error)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("Pfs.MetaServer: refusing to bind ", line, StringComparison.Ordinal);
        Assert.Contains("--insecure-bind", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileServerRefusesAWildcardUrlFromConfigurationToo()
    {
        using var data = new Unit.FileServer.TempDirectory();
        using var error = new StringWriter();

        var exitCode = await global::Pfs.FileServer.Program.RunAsync(["--data-dir", data.FullPath], Configuration(("urls", "http://0.0.0.0:0")), TextWriter.Null, error)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Pfs.FileServer: refusing to bind 0.0.0.0", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InsistingBindsTheAddressAndWarns()
    {
        // Arrange
        var settings = new[] { ("Pfs:InsecureBind", "true") };
        await using var app = MetaServerApp.Build(
            new MetaServerOptions { Port = 0, BindAddress = "0.0.0.0", FileServers = ["localhost:1"], ClusterKey = TestCaps.Key },
            configure: builder => builder.Configuration.AddConfiguration(Configuration(settings)));

        // Act
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // Assert: bound on every interface, and reachable as before
        Assert.StartsWith("http://0.0.0.0:", Assert.Single(app.Urls), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", app.GetListenAddress().Host);
        await app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void TheInsecureBindFlagNeedsNoValue()
    {
        var parsed = FileServerSettings.CommandLine.Parse(["--insecure-bind", "--data-dir", "x"], TextWriter.Null, TextWriter.Null);

        Assert.Null(parsed.ExitCode);
        Assert.Equal("true", parsed.Settings["Pfs:InsecureBind"]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", false)]
    [InlineData("http://localhost:5000;http://[::1]:5001", false)]
    [InlineData("http://*:5000", true)]
    [InlineData("http://+:5000", true)]
    [InlineData("http://[::]:5000", true)]
    [InlineData("http://10.1.2.3:5000", true)]
    [InlineData("http://fs0.example:5000", true)]
    public void UrlsFromConfigurationAreJudgedByTheirHost(string urls, bool exposed)
    {
        var options = new MetaServerOptions { FileServers = ["a:1"] };

        var found = ListenPolicy.NonLoopback(options, Configuration(("urls", urls)));

        Assert.Equal(exposed, found.Count > 0);
    }

    [Fact]
    public void RequiredAuthenticationMayBindAnyAddressButWarnsWithoutTls()
    {
        var options = new MetaServerOptions { Port = 1, BindAddress = "0.0.0.0", FileServers = ["a:1"] };

        var refusal = ListenPolicy.Check(options, new PfsSecurityOptions { Authentication = PfsAuthentication.Required }, Configuration(), out var warning);

        Assert.Null(refusal);
        Assert.Contains("without TLS", warning, StringComparison.Ordinal);
    }
}
