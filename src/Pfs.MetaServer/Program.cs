using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Pfs.ServiceDefaults;

namespace Pfs.MetaServer;

internal static class Program
{
    /// <summary>Exit code for unknown or malformed flags and bad settings.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code when the server could not start or stopped on an error.</summary>
    public const int FailureExitCode = 1;

    public static async Task<int> Main(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        return await RunAsync(args, configuration, Console.Error);
    }

    /// <summary>Main with its inputs passed in, so tests can check flag handling without a console.</summary>
    internal static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parsed = MetaServerCommandLine.Parse(args, configuration);
        if (parsed.Error is { } message)
        {
            await error.WriteLineAsync($"Pfs.MetaServer: {message}");
            return UsageExitCode;
        }

        if (parsed.IsInformational)
        {
            return await parsed.ParseResult.InvokeAsync(cancellationToken: cancellationToken);
        }

        for (var attempt = 1; ; attempt++)
        {
            WebApplication app;
            try
            {
                // The flags are ours; ASPNETCORE_* settings still arrive through the environment.
                app = MetaServerApp.Build(parsed.Options!);
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                await error.WriteLineAsync($"Pfs.MetaServer: {ex.Message}");
                return UsageExitCode;
            }

            await using (app)
            {
                try
                {
                    await app.RunAsync(cancellationToken);
                    return 0;
                }
                catch (IOException ex) when (PfsServerHosting.IsAddressInUse(ex) && attempt < PfsServerHosting.BindAttempts)
                {
                    await error.WriteLineAsync($"Pfs.MetaServer: {ex.Message.ReplaceLineEndings(" ")} (try {attempt} of {PfsServerHosting.BindAttempts}; trying again)");
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    await error.WriteLineAsync($"Pfs.MetaServer: {ex.Message.ReplaceLineEndings(" ")}");
                    return FailureExitCode;
                }
            }

            await Task.Delay(PfsServerHosting.BindRetryDelay, cancellationToken);
        }
    }
}
