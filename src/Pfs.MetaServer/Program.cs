using Microsoft.Extensions.Configuration;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.MetaServer;

internal static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, configuration: null, Console.Out, Console.Error);

    /// <summary>Main with its inputs passed in, so tests can check flag handling without a console.</summary>
    /// <param name="configuration">Configuration under the flags (environment, appsettings and the like are always read).</param>
    internal static Task<int> RunAsync(string[] args, IConfiguration? configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var commandLine = MetaServerSettings.CommandLine.Parse(args, output, error);
        if (commandLine.ExitCode is { } exitCode)
        {
            return Task.FromResult(exitCode);
        }

        // The flags are ours, so the host gets no arguments; they arrive as the configuration keys they map to.
        return PfsServerProgram.RunAsync(
            MetaServerSettings.CommandLine.ProgramName,
            () => MetaServerApp.Build([], commandLine.Settings, configuration: configuration),
            error,
            cancellationToken: cancellationToken);
    }
}
