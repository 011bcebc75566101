using Microsoft.Extensions.Options;
using Pfs.MetaServer;
using Pfs.Protocol.Transport;

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
        var options = new MetaServerOptions { FileServers = [address] };

        Assert.Equal(expected, Assert.Single(options.FileServers));
        Assert.Equal(expected, PfsAddress.Normalize(address));
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
        Assert.Null(PfsAddress.Normalize(address));
        var result = new MetaServerOptionsValidator().Validate(null, new MetaServerOptions { FileServers = [address] });

        Assert.True(result.Failed);
        Assert.Contains("is not of the form", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AtLeastOneFileServerIsRequired()
    {
        var result = new MetaServerOptionsValidator().Validate(null, new MetaServerOptions { FileServers = [] });

        Assert.True(result.Failed);
        Assert.Contains("file server", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void GoodOptionsPass()
    {
        var result = new MetaServerOptionsValidator().Validate(null, new MetaServerOptions { Port = 0, BindAddress = "127.0.0.1", FileServers = ["localhost:1"] });

        Assert.Equal(ValidateOptionsResult.Success, result);
    }
}
