using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.FileServer;
using FileServerOptions = Pfs.FileServer.FileServerOptions;
using Pfs.MetaServer;
using Pfs.Protocol;
using Pfs.ServiceDefaults;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Security;

/// <summary>A test that captures loopback traffic: skipped only where tcpdump is missing or may not capture.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TcpdumpFactAttribute : FactAttribute
{
    public TcpdumpFactAttribute()
    {
        if (!File.Exists("/usr/bin/tcpdump") && !File.Exists("/usr/sbin/tcpdump"))
        {
            Skip = "tcpdump is not installed (.ci/run installs it)";
        }
        else if (Environment.UserName != "root")
        {
            Skip = "capturing needs root";
        }
    }
}

/// <summary>TLS on every hop: client to both kinds of server, metadata server to file servers.</summary>
public sealed class TlsTests
{
    private static readonly string Key = CapabilitySigner.NewKey();

    /// <summary>A metadata server and two file servers, with TLS or without.</summary>
    private sealed class Servers : IAsyncDisposable
    {
        private readonly List<WebApplication> _apps = [];
        private readonly string _data = Directory.CreateTempSubdirectory("pfs-tls-data-").FullName;

        public Uri Meta { get; private set; } = null!;

        public List<int> Ports { get; } = [];

        /// <summary>What the metadata server logged (Information and above).</summary>
        public ConcurrentQueue<string> MetaLogs { get; } = new();

        public static async Task<Servers> StartAsync(TestCertificates? tls, bool metaTrustsCa = true)
        {
            var servers = new Servers();
            var settings = tls?.ServerSettings.ToList() ?? [];
            void Configure(WebApplicationBuilder builder) => builder.Configuration.AddInMemoryCollection(settings);
            void ConfigureMeta(WebApplicationBuilder builder)
            {
                builder.Configuration.AddInMemoryCollection(metaTrustsCa ? settings : settings.Where(setting => setting.Key != "Pfs:TlsCa"));
                builder.Logging.AddProvider(new QueueLogger(servers.MetaLogs));
            }

            var fileServers = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var app = FileServerApp.Build(new FileServerOptions { Port = 0, DataDirectory = Path.Combine(servers._data, $"fs{i}"), ClusterKey = Key }, configure: Configure);
                await servers.StartAsync(app);
                fileServers.Add(app.GetListenAddress().ToString().TrimEnd('/'));
            }

            var meta = MetaServerApp.Build(new MetaServerOptions { Port = 0, FileServers = fileServers, ClusterKey = Key }, configure: ConfigureMeta);
            await servers.StartAsync(meta);
            servers.Meta = meta.GetListenAddress();
            return servers;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var app in _apps)
            {
                await app.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
                await app.DisposeAsync();
            }

            Directory.Delete(_data, recursive: true);
        }

        private async Task StartAsync(WebApplication app)
        {
            await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            _apps.Add(app);
            Ports.Add(app.GetListenAddress().Port);
        }
    }

    /// <summary>Keeps every line logged, in a queue.</summary>
    private sealed class QueueLogger(ConcurrentQueue<string> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

        public void Dispose()
        {
        }
    }

    private static Task<PfsClient> ConnectAsync(Uri meta, string? ca) => PfsClient.ConnectAsync(new PfsClientOptions
    {
        ClientId = "tls-" + Guid.NewGuid().ToString("N")[..8],
        MetaServer = meta,
        TlsCa = ca,
        OperationTimeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>Writes <paramref name="content"/> to a new file striped over both servers, closes it (the commit hop) and reads it back.</summary>
    private static async Task<byte[]> RoundTripAsync(PfsClient client, byte[] content, PfsClient? readingClient = null)
    {
        var name = "tls-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, BlockSize = 4096 });
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(content, 0);
        }

        await using var reader = await (readingClient ?? client).OpenAsync(name, PfsOpenMode.Read);
        var buffer = new byte[content.Length];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(read), read);
            Assert.True(n > 0, "the file ended early");
            read += n;
        }

        return buffer;
    }

    private static byte[] Marked(int bytes)
    {
        var marker = Encoding.ASCII.GetBytes("PFS-SECRET-BYTES");
        return [.. Enumerable.Range(0, bytes).Select(i => marker[i % marker.Length])];
    }

    [Fact]
    public async Task EveryHopSpeaksTlsAndTheClientChecksTheServers()
    {
        // Arrange
        using var tls = new TestCertificates();
        await using var servers = await Servers.StartAsync(tls);
        var content = Marked(64 * 1024);

        // Act
        Assert.Equal("https", servers.Meta.Scheme);
        await using var client = await ConnectAsync(servers.Meta, tls.CaFile);
        var read = await RoundTripAsync(client, content);

        // Assert: the bytes came back; a client that does not trust the cluster's CA gets nowhere
        Assert.Equal(content, read);
        var untrusting = await Assert.ThrowsAsync<PfsException>(() => ConnectAsync(servers.Meta, ca: null));
        Assert.Equal(PfsErrorCode.Unavailable, untrusting.Code);
        Assert.Contains("has a TLS certificate this client does not trust (give the cluster's CA with --tls-ca or PFS_TLS_CA)", untrusting.Message);
    }

    [Fact]
    public async Task AMetadataServerThatDoesNotTrustTheFileServersCertificatesSaysSoAtStart()
    {
        // Before, it started without a word, and every commit and delete there failed later (a deleted file's blocks
        // stayed on the disks for good).
        using var tls = new TestCertificates();
        await using var servers = await Servers.StartAsync(tls, metaTrustsCa: false);

        await Wait.UntilAsync(() => servers.MetaLogs.Count(line => line.StartsWith("Error: File server https://", StringComparison.Ordinal)
                && line.Contains("has a TLS certificate this client does not trust", StringComparison.Ordinal)) == 2,
            "one error line for each file server", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AnAddressWhoseSchemeDoesNotMatchTheServerSaysWhichToUseInsteadOfWaitingOutTheTimeout()
    {
        // Arrange: a TLS cluster and a cleartext one
        using var tls = new TestCertificates();
        await using var secure = await Servers.StartAsync(tls);
        await using var plain = await Servers.StartAsync(tls: null);

        // Act: http:// to the TLS server, https:// to the cleartext one. Before, both waited out the operation timeout
        // and said "could not be reached within 10 s", as for a server that is down.
        var cleartextToTls = await Assert.ThrowsAsync<PfsException>(() => ConnectAsync(new UriBuilder(secure.Meta) { Scheme = "http" }.Uri, tls.CaFile));
        var tlsToCleartext = await Assert.ThrowsAsync<PfsException>(() => ConnectAsync(new UriBuilder(plain.Meta) { Scheme = "https" }.Uri, tls.CaFile));

        // Assert
        Assert.Contains("does not answer cleartext HTTP/2 (if it serves TLS, name it https://)", cleartextToTls.Message);
        Assert.Contains("does not answer TLS (if it serves cleartext, name it http://)", tlsToCleartext.Message);
    }

    [Fact]
    public async Task TheToolsStatsAndAdminCommandsTrustTheClustersCaLikeEveryOtherCommand()
    {
        // Arrange
        using var tls = new TestCertificates();
        await using var servers = await Servers.StartAsync(tls);
        var keyFile = Path.Combine(Path.GetTempPath(), $"pfs-tls-key-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(keyFile, Key);
        try
        {
            // Act: the CA by flag for one, by PFS_TLS_CA for the other. Before, stats checked the file servers' health
            // without it (every one "error (Internal)", 0 serving) and admin ignored both.
            var stats = await Cli.CliRunner.RunRawAsync(["--meta", servers.Meta.ToString(), "--tls-ca", tls.CaFile, "stats"]);
            var add = await Cli.CliRunner.RunRawAsync(["--meta", servers.Meta.ToString(), "admin", "--cluster-key-file", keyFile, "add", "tls-admin", "--scope", "/"],
                new Dictionary<string, string?> { ["PFS_TLS_CA"] = tls.CaFile });
            var list = await Cli.CliRunner.RunRawAsync(["--meta", servers.Meta.ToString(), "--tls-ca", tls.CaFile, "admin", "--cluster-key-file", keyFile, "list"]);

            // Assert
            Assert.True(stats.ExitCode == 0, stats.ToString());
            Assert.Contains("file servers:  2 (2 serving)", stats.Stdout);
            Assert.True(add.ExitCode == 0, add.ToString());
            Assert.True(list.ExitCode == 0 && list.Stdout.Contains("tls-admin"), list.ToString());

            // A CA file that is not there, or holds no certificate, is one line that names it
            var missing = await Cli.CliRunner.RunRawAsync(["--meta", servers.Meta.ToString(), "--tls-ca", keyFile + ".nope", "stats"]);
            var notPem = await Cli.CliRunner.RunRawAsync(["--meta", servers.Meta.ToString(), "--tls-ca", keyFile, "stats"]);
            Cli.CliRunner.AssertFailed(missing, 1, $"the TLS CA file '{keyFile}.nope' does not exist");
            Cli.CliRunner.AssertFailed(notPem, 1, $"the TLS CA file '{keyFile}' holds no PEM certificate");
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [TcpdumpFact]
    public async Task WithTlsACaptureOfLoopbackShowsNoneOfAFilesBytes()
    {
        using var tls = new TestCertificates();
        var content = Marked(256 * 1024);
        var marker = Encoding.ASCII.GetBytes("PFS-SECRET-BYTES");

        // The capture sees the bytes when they travel in clear text (so it does capture) ...
        var plain = await CaptureAsync(null, content);
        // ... and none of them with TLS on.
        var encrypted = await CaptureAsync(tls, content);

        Assert.True(plain.AsSpan().IndexOf(marker) >= 0, $"the cleartext capture ({plain.Length} bytes) should show the file's bytes");
        Assert.True(encrypted.Length > content.Length, $"the TLS capture holds only {encrypted.Length} bytes");
        Assert.True(encrypted.AsSpan().IndexOf(marker) < 0, "a file's bytes crossed loopback in the clear");
    }

    /// <summary>Waits (up to 10 s) until tcpdump has written out what it caught: the file stops growing.</summary>
    private static async Task CaughtUpAsync(string pcap)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long last = -1;
        while (DateTime.UtcNow < deadline)
        {
            var size = File.Exists(pcap) ? new FileInfo(pcap).Length : 0;
            if (size > 0 && size == last)
            {
                return;
            }

            last = size;
            await Task.Delay(TimeSpan.FromMilliseconds(300));
        }
    }

    private static async Task<byte[]> CaptureAsync(TestCertificates? tls, byte[] content)
    {
        await using var servers = await Servers.StartAsync(tls);
        var pcap = Path.Combine(Path.GetTempPath(), $"pfs-{Guid.NewGuid():N}.pcap");
        var filter = string.Join(" or ", servers.Ports.Select(port => $"tcp port {port}"));
        using var tcpdump = Process.Start(new ProcessStartInfo("tcpdump", ["-i", "lo", "-U", "-s", "0", "-w", pcap, filter])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            // tcpdump says "listening on lo" once it captures.
            var listening = new TaskCompletionSource();
            tcpdump.ErrorDataReceived += (_, line) =>
            {
                if (line.Data?.Contains("listening on", StringComparison.Ordinal) == true)
                {
                    listening.TrySetResult();
                }
            };
            tcpdump.BeginErrorReadLine();
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));

            // A second client reads, so the bytes cross the wire both ways (the writer's cache would serve its own read).
            await using (var client = await ConnectAsync(servers.Meta, tls?.CaFile))
            await using (var reader = await ConnectAsync(servers.Meta, tls?.CaFile))
            {
                Assert.Equal(content, await RoundTripAsync(client, content, reader));
            }

            await CaughtUpAsync(pcap);
        }
        finally
        {
            // SIGINT lets tcpdump write out what it buffered.
            Process.Start("kill", ["-INT", tcpdump.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            await tcpdump.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        var captured = await File.ReadAllBytesAsync(pcap);
        File.Delete(pcap);
        return captured;
    }
}
