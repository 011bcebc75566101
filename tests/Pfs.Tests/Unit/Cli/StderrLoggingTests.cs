using Microsoft.Extensions.Logging;
using Pfs.Cli.Output;

namespace Pfs.Tests.Unit.Cli;

/// <summary>Which log lines a long-running command (the mount) writes to stderr.</summary>
public sealed class StderrLoggingTests
{
    [Fact]
    public void GrpcsOwnWarningsAreLeftOutAndItsErrorsAndPfsWarningsAreWritten()
    {
        // Arrange
        using var stderr = new StringWriter();
        using var factory = new StderrLoggerFactory(stderr, "pfs mount");
        factory.Open();
        var grpc = factory.CreateLogger("Grpc.Net.Client.Internal.GrpcCall");
        var pfs = factory.CreateLogger("Pfs.Client.PfsClient");

        // Act
        Write(grpc, LogLevel.Warning, "gRPC call deadline exceeded.");
        Write(grpc, LogLevel.Error, "Error starting gRPC call.");
        Write(pfs, LogLevel.Warning, "Writing back 3 evicted blocks of 'f' failed (file server http://127.0.0.1:1: no answer)");
        Write(pfs, LogLevel.Information, "an ordinary event");

        // Assert
        Assert.Equal(
            [
                "pfs mount: error: Error starting gRPC call.",
                "pfs mount: warning: Writing back 3 evicted blocks of 'f' failed (file server http://127.0.0.1:1: no answer)",
            ],
            stderr.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static void Write(ILogger logger, LogLevel level, string message) => logger.Log(level, default, message, null, (text, _) => text);
}
