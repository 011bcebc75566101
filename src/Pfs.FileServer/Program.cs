using Pfs.FileServer.Storage;
using Pfs.ServiceDefaults;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.FileServer;

// An explicit Main rather than top-level statements: one test project references several servers.
internal static partial class Program
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
            FileServerSettings.CommandLine,
            args,
            settings => FileServerApp.Build([], settings, configuration: configuration),
            output,
            error,
            LogStarted,
            cancellationToken);

    private static void LogStarted(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(FileServerSettings.CommandLine.ProgramName);
        Log.Started(logger, app.GetListenAddress(), app.Services.GetRequiredService<BlockStore>().DataDirectory);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, EventName = "Started", Level = LogLevel.Information, Message = "File server listening on {Address}, data directory {DataDirectory}")]
        public static partial void Started(ILogger logger, Uri address, string dataDirectory);
    }
}
