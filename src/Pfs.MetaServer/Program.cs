using Pfs.ServiceDefaults.Settings;

namespace Pfs.MetaServer;

internal static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, configuration: null, Console.Out, Console.Error);

    /// <summary>Main with its inputs passed in, so tests can check flag handling without a console.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="configuration">Configuration under the flags (environment, appsettings and the like are always read).</param>
    /// <param name="output">Where help and version go.</param>
    /// <param name="error">Where a refused flag or a failed start is said, in one line.</param>
    /// <param name="cancellationToken">Stops the server.</param>
    internal static Task<int> RunAsync(string[] args, IConfiguration? configuration, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        // The host gets no arguments: the flags arrive as the configuration keys they map to.
        PfsServerProgram.RunAsync(
            MetaServerSettings.CommandLine,
            args,
            settings => MetaServerApp.Build([], settings, configuration: configuration),
            output,
            error,
            cancellationToken: cancellationToken);
}
