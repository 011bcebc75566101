using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

internal sealed partial class MacroRunner
{
    /// <summary>
    /// The mount beside the library on the same cluster, minutes apart: the library's sequential
    /// write and read (width 4, the mount's 256 KiB blocks), then dd, fio and file creates through a mount.
    /// </summary>
    private async Task MeasureMountAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var bytes = settings.FileBytes;
        var sequential = new SequentialBenchmark(cluster, settings);
        await sequential.RunAsync(4, MountBenchmark.BlockSize, Math.Min(bytes, 16L * MiB), cancellationToken);
        var library = await sequential.RunAsync(4, MountBenchmark.BlockSize, bytes, cancellationToken);
        Progress($"library w=4, 256 KiB blocks: write {MBps(library.WriteMBps)}, read {MBps(library.ReadMBps)}");

        var smallFiles = settings.Mode switch { "smoke" => 200, "quick" => 2000, _ => 10_000 };
        var mount = await new MountBenchmark(cluster, settings).RunAsync(bytes, smallFiles, cancellationToken);
        Progress($"mount: write {MBps(mount.WriteMBps)}, cold read {MBps(mount.ColdReadMBps)}, warm read {MBps(mount.WarmReadMBps)}, "
                 + $"{Number(mount.CreatesPerSecond)} creates/s");

        var size = BenchSettings.Describe(bytes);
        _table.Add("mount", new Figure($"library sequential write, {size}, w=4, 256 KiB blocks", MBps(library.WriteMBps)));
        _table.Add("mount", new Figure($"library sequential read, {size}, w=4, 256 KiB blocks", MBps(library.ReadMBps)));
        AddAgainst("dd bs=1M conv=fsync write through the mount", mount.WriteMBps, library.WriteMBps);
        AddAgainst(mount.CachesDropped ? "dd bs=1M cold read (page cache dropped)" : "dd bs=1M read (page cache NOT dropped: not root)",
            mount.ColdReadMBps, library.ReadMBps);
        var warm = mount.WarmReadMBps >= 2000;
        _table.Add("mount", new Figure("dd bs=1M warm re-read (page cache)", MBps(mount.WarmReadMBps), string.Empty, ">= 2000 MB/s",
            warm ? Verdict.Pass : Verdict.Miss));
        _table.Add("mount", new Figure("fio 4 KiB random read, warm file", mount.WarmIops is { } w ? $"{Number(w)} IOPS" : Figure.NotMeasured));
        _table.Add("mount", new Figure("fio 4 KiB random read, cold file", mount.ColdIops is { } c ? $"{Number(c)} IOPS" : Figure.NotMeasured));
        _table.Add("mount", new Figure($"small-file creates (100 B each, {Number(smallFiles)} files, python3)", $"{Number(mount.CreatesPerSecond)}/s"));
        _table.Add("mount", new Figure("FUSE request size (max_write; readahead window)",
            string.Create(CultureInfo.InvariantCulture, $"{mount.MaxWrite / 1024} KiB"),
            mount.Readahead is { } window ? string.Create(CultureInfo.InvariantCulture, $"readahead {window / 1024} KiB") : string.Empty,
            "1024 KiB", mount.MaxWrite >= MiB ? Verdict.Pass : Verdict.Miss));
    }

    private void AddAgainst(string name, double value, double library)
    {
        var ratio = library > 0 ? value / library : 0;
        _table.Add("mount", new Figure(name, MBps(value), string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0}% of library"),
            ">= 70% of library", ratio >= 0.70 ? Verdict.Pass : Verdict.Miss));
    }
}
