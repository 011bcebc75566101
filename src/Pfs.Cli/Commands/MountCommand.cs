using System.CommandLine;
using System.Runtime.InteropServices;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Pfs.Cli.Output;
using Pfs.Client;
using Pfs.Client.Diagnostics;
using Pfs.Fuse;
using Pfs.Mount;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs mount MOUNTPOINT</c>: the cluster's root directory through FUSE, served in the foreground
/// until SIGINT, SIGTERM or an outside unmount; then every open file is flushed and closed, the
/// mount goes, and the exit code is 0. A mount that cannot be made is one line and exit code 1.
/// </summary>
internal static class MountCommand
{
    public static Command Create(CliHost host)
    {
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "An existing, empty directory" };
        var layout = new LayoutOptions(PfsMountOptions.DefaultBlockSize, "every file server the parity leaves, at most 4; cut to fit the cluster");
        var command = new Command("mount", "Mount the cluster's root directory at MOUNTPOINT through FUSE and serve it until Ctrl+C, SIGTERM or umount")
        {
            mountPoint,
        };
        layout.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = host.Console;
            Uri meta;
            try
            {
                meta = host.MetaServer(parse);
            }
            catch (UsageException ex)
            {
                console.Fail(ex.Message);
                return ExitCodes.Usage;
            }

            using var tracing = StartTracing();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // SIGINT as well as SIGTERM: a mount started in the background of a script has SIGINT
            // ignored for Console.CancelKeyPress, and `kill -INT` should still stop it cleanly.
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            PfsMount mount;
            string? closeFailure = null;
            using var logs = new StderrLoggerFactory(console.Error, "pfs mount");
            try
            {
                // The key and CA as every other command takes them (--key KEY|FILE, PFS_KEY, ~/.pfs/client.key; --tls-ca).
                var keyed = host.WithKey(parse, new PfsClientOptions { ClientId = "mount", MetaServer = meta });
                mount = await PfsMount.MountAsync(parse.GetValue(mountPoint)!, new PfsMountOptions
                {
                    MetaServer = meta,
                    Key = keyed.Key,
                    KeyFile = keyed.KeyFile,
                    TlsCa = keyed.TlsCa,
                    OperationTimeout = TimeSpan.FromSeconds(parse.GetValue(host.Timeout)),
                    // Of the files created through the mount.
                    StripeWidth = parse.GetValue(layout.Width) ?? 0,
                    BlockSize = parse.GetValue(layout.BlockSize),
                    ParityBlocks = parse.GetValue(layout.Parity),
                }, logs, stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FuseMountException or PfsException or IOException or UnauthorizedAccessException)
            {
                console.Fail($"cannot mount: {ex.Message}");
                return ExitCodes.Error;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                console.Fail("cancelled");
                return ExitCodes.Cancelled;
            }

            try
            {
                logs.Open();
                await console.Out.WriteLineAsync($"mounted {meta} at {mount.MountPoint} (Ctrl+C or umount to stop)").ConfigureAwait(false);
                await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await mount.Completion.WaitAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // SIGINT or SIGTERM: flush, close and unmount below.
                }
                catch (Exception ex) when (ex is IOException or FuseException)
                {
                    console.Fail($"the FUSE session failed: {ex.Message}");
                }
            }
            finally
            {
                // Unmounting closes what is still open; a write open that cannot be closed is said in one line (not as a
                // crash), and the exit code tells a script that some writes did not land.
                try
                {
                    await mount.DisposeAsync().ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    closeFailure = ex.Message;
                }
            }

            if (closeFailure is not null)
            {
                console.Fail($"unmounted {mount.MountPoint}, but {closeFailure}");
                return ExitCodes.Error;
            }

            await console.Out.WriteLineAsync($"unmounted {mount.MountPoint}").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// With OTEL_EXPORTER_OTLP_ENDPOINT set (as Aspire sets it for its resources, or by hand to the
    /// dashboard's OTLP port), every FUSE operation is a trace: pfs.fuse.read, under it the client's
    /// pfs.read and its gRPC calls to each file server of the stripe.
    /// </summary>
    private static TracerProvider? StartTracing()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return null;
        }

        return Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "pfs-mount"))
            .AddSource(PfsMount.ActivitySourceName, PfsTelemetry.SourceName)
            .AddGrpcClientInstrumentation()
            .AddOtlpExporter()
            .Build();
    }
}
