using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using Pfs.Client;
using Pfs.Protocol.Transport;
using Xunit.Abstractions;

namespace Pfs.AppHost.Tests;

/// <summary>
/// The AppHost runs the cluster secure by default: TLS on every server, authentication required, its
/// own clients running as an identity it registered, with a CA and keys it made at its first run.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecureAppHostTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Servers = ["fileserver-0", "fileserver-1", "fileserver-2", "metaserver"];

    [Fact]
    public async Task AClientWithoutAKeyIsDeniedByTheMetaServer()
    {
        // No key in the options; a PFS_KEY or ~/.pfs/client.key on this machine would name a key this
        // fresh cluster never saw, which is denied the same way.
        var failure = await Assert.ThrowsAsync<PfsException>(() => PfsClient.ConnectAsync(fixture.ClientOptions()).WaitAsync(Timeout));

        Assert.Equal(PfsErrorCode.PermissionDenied, failure.Code);
        output.WriteLine($"no key: {failure.Code}: {failure.Message}");
    }

    [Fact]
    public async Task EveryServerAnswersOnlyOverTlsWithTheAppHostsCa()
    {
        foreach (var server in Servers)
        {
            var address = fixture.Endpoint(server);
            Assert.Equal(Uri.UriSchemeHttps, address.Scheme);

            // Over TLS, checked against the development CA: SERVING.
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await CheckAsync(address, fixture.CaFile));

            // The same port in the clear: the server speaks only TLS, so the call fails.
            var plain = new UriBuilder(address) { Scheme = Uri.UriSchemeHttp }.Uri;
            var cleartext = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(plain, caFile: null));

            // Over TLS trusting only the system store: the development CA is not in it.
            var untrusted = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(address, caFile: null));

            output.WriteLine($"{server} {address}: TLS with the CA SERVING; cleartext {cleartext.StatusCode}; system trust {untrusted.StatusCode}");
        }
    }

    [Fact]
    public async Task TheDemoCompletesItsRoundAsTheAppHostsIdentity()
    {
        using var timeout = new CancellationTokenSource(AppHostFixture.StartTimeout);

        var line = await fixture.WaitForLogAsync("demo", "bob's striped read of 1 MiB", timeout.Token);

        Assert.Contains("matches what alice wrote", line, StringComparison.Ordinal);
        output.WriteLine(line);
    }

    [Fact]
    public async Task TheKeysTheAppHostMadeAreItsOwnersOnlyAndTheServerCertificateChainsToItsCa()
    {
        // (That the client key works, every other test shows: their clients connect with it.)
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(fixture.SecretsDirectory, "server.pem")));
        using var chain = new X509Chain { ChainPolicy = TlsFiles.TrustOnly(fixture.CaFile) };
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.StartsWith("pfs1.apphost.", (await File.ReadAllTextAsync(fixture.ClientKeyFile)).Trim(), StringComparison.Ordinal);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerOnly, File.GetUnixFileMode(fixture.ClientKeyFile));
        Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(fixture.SecretsDirectory, "server.key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(fixture.SecretsDirectory));
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> CheckAsync(Uri address, string? caFile)
    {
        using var channel = PfsChannel.Create(address, new PfsChannelOptions { TlsCaFile = caFile, ConnectTimeout = TimeSpan.FromSeconds(10) });
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        return reply.Status;
    }
}
