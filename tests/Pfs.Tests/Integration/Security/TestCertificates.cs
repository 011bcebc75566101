using Pfs.Protocol.Transport;

namespace Pfs.Tests.Integration.Security;

/// <summary>A throwaway CA and a server certificate it signed (for 127.0.0.1 and localhost), as PEM files.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly DevelopmentCertificates _files;

    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("pfs-tls-").FullName;
        _files = DevelopmentCertificates.Create(Directory, TimeSpan.FromDays(1));
    }

    public string Directory { get; }

    public string CaFile => _files.CaFile;

    /// <summary>The settings a server needs to serve TLS and to check the servers it calls.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ServerSettings => _files.ServerSettings;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
