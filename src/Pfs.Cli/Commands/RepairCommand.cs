using System.CommandLine;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs repair [--wait]</c>: rebuilds the stale shards of every degraded file (files with parity that
/// lost shards, missed writes while a server was down, or hold damaged ones). Without --wait one pass;
/// with it, passes until every file is fully redundant (exit 0), or until passes stop making progress
/// (exit 1, naming the files it could not repair). With --every SECONDS it is the repair worker: a pass
/// at once and then every SECONDS until stopped, its traces and metrics exported over OTLP when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (the AppHost runs it so, as the resource <c>repair</c>).
/// </summary>
internal static class RepairCommand
{
    // Passes in a row that repair nothing before --wait gives up on the files left.
    private const int PassesWithoutProgress = 3;
    private static readonly TimeSpan PassInterval = TimeSpan.FromSeconds(2);

    public static Command Create(CliHost host)
    {
        var wait = new Option<bool>("--wait") { Description = "Repeat until every file is fully redundant; exit non-zero naming the files that cannot be repaired" };
        var every = new Option<double?>("--every")
        {
            Description = "Run as a worker: a pass now and then every SECONDS until stopped (traces and metrics over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set)",
            HelpName = "SECONDS",
        };
        every.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } seconds && (double.IsNaN(seconds) || seconds <= 0 || seconds > 86_400))
            {
                result.AddError($"--every must be a number of seconds above 0 and at most 86400, not {seconds}");
            }
        });
        var command = new Command("repair", "Rebuild the lost, missed or damaged shards of files with parity") { wait, every };
        command.Validators.Add(result =>
        {
            if (result.GetValue(wait) && result.GetValue(every) is not null)
            {
                result.AddError("--wait and --every cannot be used together");
            }
        });
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var output = host.Console.Out;
            var progress = new LineProgress(output);
            if (parse.GetValue(every) is { } seconds)
            {
                return await WorkAsync(host, client, progress, TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
            }
            for (int pass = 1, idle = 0; ; pass++)
            {
                var report = await client.RepairAsync(progress, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"pass {pass}: {Counts.Of(report.FilesRepaired, "file")} repaired, {Sizes.Format(report.BytesRebuilt)} rebuilt, {report.Failures.Count} failed");
                if (!parse.GetValue(wait))
                {
                    return Finish(host, report.Failures);
                }

                var status = await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
                if (status.DegradedFiles == 0)
                {
                    if (report.Failures.Count > 0)
                    {
                        // Damage on files without parity: no later pass can rebuild it.
                        return Finish(host, report.Failures);
                    }

                    output.WriteLine("every file is fully redundant");
                    return ExitCodes.Ok;
                }

                idle = report.FilesRepaired == 0 ? idle + 1 : 0;
                if (idle >= PassesWithoutProgress)
                {
                    return Finish(host, report.Failures);
                }

                await Task.Delay(PassInterval, cancellationToken).ConfigureAwait(false);
            }
        });
        return command;
    }

    // The worker: passes until cancelled (SIGINT or SIGTERM). A pass that fails (the metadata server away, say)
    // is reported and the next one runs on time; what a pass cannot repair it names and leaves for the next.
    private static async Task<int> WorkAsync(CliHost host, PfsClient client, LineProgress progress, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var telemetry = CliTelemetry.Start("pfs-repair");
        var output = host.Console.Out;
        output.WriteLine($"repair worker: a pass every {interval.TotalSeconds:0.###} s");
        for (var pass = 1; ; pass++)
        {
            try
            {
                var report = await client.RepairAsync(progress, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"pass {pass}: {Counts.Of(report.FilesRepaired, "file")} repaired, {Sizes.Format(report.BytesRebuilt)} rebuilt, {report.Failures.Count} failed");
                foreach (var failure in report.Failures)
                {
                    host.Console.Error.WriteLine($"pfs: cannot repair '{PfsTree.Show(failure.Name)}' (inode {failure.Inode}): {failure.Reason}");
                }
            }
            catch (PfsException ex) when (!cancellationToken.IsCancellationRequested)
            {
                host.Console.Error.WriteLine($"pfs: repair pass {pass} failed: {ex.Message}");
            }

            output.Flush();
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int Finish(CliHost host, IReadOnlyList<PfsRepairFailure> failures)
    {
        if (failures.Count == 0)
        {
            return ExitCodes.Ok;
        }

        foreach (var failure in failures)
        {
            host.Console.Error.WriteLine($"pfs: cannot repair '{PfsTree.Show(failure.Name)}' (inode {failure.Inode}): {failure.Reason}");
        }

        host.Console.Fail($"{Counts.Of(failures.Count, "file")} could not be repaired");
        return ExitCodes.Error;
    }

    // One line per file started, so a terminal and a log both show where the repair is.
    private sealed class LineProgress(TextWriter output) : IProgress<PfsRepairProgress>
    {
        private string? _current;

        public void Report(PfsRepairProgress value)
        {
            if (value.CurrentFile is { } file && !string.Equals(file, _current, StringComparison.Ordinal))
            {
                output.WriteLine($"repairing '{PfsTree.Show(file)}' ({value.FilesRepaired} repaired, {Sizes.Format(value.BytesRebuilt)} rebuilt so far)");
            }

            _current = value.CurrentFile;
        }
    }
}
