using System.Diagnostics;

namespace Pfs.Benchmarks.Cluster;

/// <summary>Finds the server dlls next to this build (same configuration), building them if they are missing.</summary>
internal sealed record ServerBinaries(string RepositoryRoot, string FileServerDll, string MetaServerDll, string? GarnetDll)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static async Task<ServerBinaries> LocateAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var root = FindRepositoryRoot();
        // The Redis-protocol store (Garnet, durable) is used when the repository has it.
        var garnet = Directory.Exists(Path.Combine(root, "src", "Pfs.Garnet")) ? Dll(root, "Pfs.Garnet") : null;
        var binaries = new ServerBinaries(root, Dll(root, "Pfs.FileServer"), Dll(root, "Pfs.MetaServer"), garnet);
        foreach (var dll in new[] { binaries.FileServerDll, binaries.MetaServerDll, garnet })
        {
            if (dll is not null && !File.Exists(dll))
            {
                await BuildAsync(root, Path.GetFileNameWithoutExtension(dll), log, cancellationToken);
            }
        }

        return binaries;
    }

    private static string Dll(string root, string project) =>
        Path.Combine(root, "src", project, "bin", Configuration, "net10.0", project + ".dll");

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pfs.sln")))
            {
                return directory.FullName;
            }
        }

        var current = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(current, "Pfs.sln"))
            ? current
            : throw new InvalidOperationException("cannot find Pfs.sln above the benchmark's directory or in the current directory");
    }

    private static async Task BuildAsync(string root, string project, TextWriter log, CancellationToken cancellationToken)
    {
        await log.WriteLineAsync($"building {project} ({Configuration}) ...");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "build", "-c", Configuration, "-nologo", "-v", "q", Path.Combine("src", project) })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet build");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet build {project} failed:{Environment.NewLine}{output}");
        }
    }
}
