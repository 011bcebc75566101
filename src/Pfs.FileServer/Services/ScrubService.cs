using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Pfs.FileServer.Diagnostics;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.FileServer.Storage.Sums;

namespace Pfs.FileServer.Services;

/// <summary>
/// The background scrub: pass after pass, re-reads every committed object that keeps sums and checks each
/// block, at most <see cref="ScrubOptions.ScrubMbps"/> and only while no client call runs, so that damage
/// nobody reads is found (and listed for repair, see <see cref="Storage.Sums.DamagedBlocks"/>) before a
/// second failure makes it unrecoverable. One trace per pass; bytes and damage as metrics.
/// </summary>
internal sealed partial class ScrubService(StagedObjects staged, BlockStore store, ClientActivity activity, IOptions<ScrubOptions> options, ILogger<ScrubService> logger)
    : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.ScrubMbps == 0)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PassAsync(settings, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested && ex is IOException or UnauthorizedAccessException)
                {
                    // Listing the store's directories failed (no file handle left while callers hold them all, an
                    // I/O error): the next pass tries again. Let out of here, it would make the host stop the server.
                    Log.PassFailed(logger, ex.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(settings.ScrubPauseSeconds), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task PassAsync(ScrubOptions settings, CancellationToken cancellationToken)
    {
        using var pass = FileServerTelemetry.Source.StartActivity("pfs.fileserver.scrub");
        var bytesPerSecond = settings.ScrubMbps * 1_000_000.0;
        var quiet = TimeSpan.FromSeconds(settings.ScrubQuietSeconds);
        long objects = 0, bytes = 0, damaged = 0;
        var started = Stopwatch.GetTimestamp();
        foreach (var generation in Objects())
        {
            objects++;
            long? offset = 0;
            while (offset is { } at)
            {
                while (!activity.IsIdle(quiet))
                {
                    await Task.Delay(IdlePoll, cancellationToken).ConfigureAwait(false);
                }

                var stepStarted = Stopwatch.GetTimestamp();
                long read;
                int found;
                try
                {
                    (read, offset, found) = await staged.ScrubStepAsync(generation, at, cancellationToken).ConfigureAwait(false);
                }
                catch (BlockStoreException ex)
                {
                    // Deleted under the scrub, or unreadable: the reads that need it report that themselves.
                    Log.Skipped(logger, generation, ex.Message);
                    break;
                }

                bytes += read;
                damaged += found;
                FileServerTelemetry.ScrubbedBytes.Add(read);

                // The rate bound: this step may take no less than its bytes at the set rate.
                var due = TimeSpan.FromSeconds(read / bytesPerSecond) - Stopwatch.GetElapsedTime(stepStarted);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        FileServerTelemetry.ScrubPasses.Add(1);
        pass?.SetTag("pfs.scrub.objects", objects);
        pass?.SetTag("pfs.scrub.bytes", bytes);
        pass?.SetTag("pfs.scrub.damaged_blocks", damaged);
        Log.PassDone(logger, objects, bytes, damaged, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    // The committed objects: files named by 16 hex digits in the 256 directories (stages, marks and sums
    // beside them have suffixes), and sums whose object is gone.
    private IEnumerable<ulong> Objects()
    {
        IEnumerable<string> directories;
        try
        {
            directories = Directory.EnumerateDirectories(store.StripesRoot).Order(StringComparer.Ordinal).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }

        foreach (var directory in directories)
        {
            List<string> files;
            try
            {
                files = [.. Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
            }
            catch (DirectoryNotFoundException)
            {
                continue;
            }

            // An object's sums without the object (removed under the server) are checked too: its blocks were lost.
            var present = files.ToHashSet(StringComparer.Ordinal);
            foreach (var name in files)
            {
                var id = name.EndsWith(SumFile.CommittedSuffix, StringComparison.Ordinal) && !present.Contains(name[..^SumFile.CommittedSuffix.Length])
                    ? name[..^SumFile.CommittedSuffix.Length]
                    : name;
                if (id.Length == 16 && ulong.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var generation) && generation != 0)
                {
                    yield return generation;
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 30, EventName = "ScrubPassDone", Level = LogLevel.Information, Message = "Scrub pass: {Objects} objects, {Bytes} bytes checked, {Damaged} damaged blocks found, in {Seconds:F1} s")]
        public static partial void PassDone(ILogger logger, long objects, long bytes, long damaged, double seconds);

        [LoggerMessage(EventId = 32, EventName = "ScrubPassFailed", Level = LogLevel.Warning, Message = "Scrub pass failed ({Reason}); the next pass starts over")]
        public static partial void PassFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 31, EventName = "ScrubSkipped", Level = LogLevel.Debug, Message = "Scrub skipped generation {Generation}: {Reason}")]
        public static partial void Skipped(ILogger logger, ulong generation, string reason);
    }
}
