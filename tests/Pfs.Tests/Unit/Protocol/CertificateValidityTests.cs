using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pfs.Protocol.Transport;

namespace Pfs.Tests.Unit.Protocol;

/// <summary>What a server says at start about its own certificate's dates.</summary>
public sealed class CertificateValidityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnExpiredCertificateIsNamedWithItsEndAndStopsClients()
    {
        // Arrange
        using var certificate = Certificate(Now.AddDays(-400), Now.AddDays(-35));

        // Act
        var (line, refused) = TlsFiles.Validity(certificate, "server.pem", Now)!.Value;

        // Assert
        Assert.True(refused);
        Assert.Contains("This server's TLS certificate (server.pem, CN=pfs-test) expired on 2026-10-30 12:00 UTC", line, StringComparison.Ordinal);
        Assert.Contains("every client will refuse to connect", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateNotValidYetPointsAtTheClock()
    {
        using var certificate = Certificate(Now.AddDays(2), Now.AddDays(400));

        var (line, refused) = TlsFiles.Validity(certificate, "server.pem", Now)!.Value;

        Assert.True(refused);
        Assert.Contains("is not valid until 2026-12-06 12:00 UTC", line, StringComparison.Ordinal);
        Assert.Contains("clock", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateEndingWithinTwoWeeksIsAWarningThatCountsTheDays()
    {
        using var certificate = Certificate(Now.AddDays(-300), Now.AddDays(3).AddHours(5));

        var (line, refused) = TlsFiles.Validity(certificate, "server.pem", Now)!.Value;

        Assert.False(refused);
        Assert.Contains("expires on 2026-12-07 17:00 UTC, in 3 day(s) and 5 hour(s)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void ACertificateWithMoreThanTwoWeeksLeftIsNotMentioned()
    {
        using var certificate = Certificate(Now.AddDays(-1), Now.AddDays(15));

        Assert.Null(TlsFiles.Validity(certificate, "server.pem", Now));
    }

    private static X509Certificate2 Certificate(DateTimeOffset from, DateTimeOffset until)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=pfs-test", key, HashAlgorithmName.SHA256).CreateSelfSigned(from, until);
    }
}
