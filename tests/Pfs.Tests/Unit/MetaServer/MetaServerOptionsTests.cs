using Pfs.MetaServer;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class MetaServerOptionsTests
{
    [Theory]
    [InlineData("localhost:50052", "http://localhost:50052")]
    [InlineData(" 10.0.0.5:7000 ", "http://10.0.0.5:7000")]
    [InlineData("http://fs:80", "http://fs")]
    [InlineData("https://fs:8443/", "https://fs:8443")]
    [InlineData("[::1]:50052", "http://[::1]:50052")]
    public void FileServerAddressesAreMadeAbsolute(string address, string expected)
    {
        Assert.Equal(expected, MetaServerOptions.NormalizeAddress(address));
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://")]
    [InlineData("http://fs:1/path")]
    [InlineData("http://fs:1?x=1")]
    [InlineData("tcp://fs:1")]
    [InlineData("fs:notaport")]
    public void MalformedFileServerAddressesAreRefused(string address)
    {
        Assert.Throws<ArgumentException>(() => MetaServerOptions.NormalizeAddress(address));
    }

    [Fact]
    public void AtLeastOneFileServerIsRequired()
    {
        var options = new MetaServerOptions { FileServers = [] };

        var ex = Assert.Throws<ArgumentException>(options.Normalize);

        Assert.Contains("file server", ex.Message, StringComparison.Ordinal);
    }
}
