using System.Diagnostics;

namespace Pfs.Benchmarks.Cluster;

/// <summary>
/// The programs the benchmark starts, found next to this build (same configuration) and built if
/// missing. <see cref="FileServer"/> and <see cref="Cli"/> are either a dll (run with
/// <c>dotnet</c>) or a Native AOT executable, published on first use by <see cref="LocateAsync"/>
/// with <c>native: true</c> (and again whenever the project's dll is newer).
/// </summary>
internal sealed record ServerBinaries(string RepositoryRoot, string FileServer, string MetaServerDll, string? GarnetDll,
                                      string WireServerDll, string Cli)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static bool IsNative(string program) => !program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    /// <summary>How a program runs, for the table's header.</summary>
    public static string Describe(string program) => IsNative(program) ? "Native AOT" : "JIT (dotnet dll)";

    public static async Task<ServerBinaries> LocateAsync(bool native, TextWriter log, CancellationToken cancellationToken)
    {
        var root = FindRepositoryRoot();
        // The Redis-protocol store (Garnet, durable) is used when the repository has it.
        var garnet = Directory.Exists(Path.Combine(root, "src", "Pfs.Garnet")) ? Dll(root, "src", "Pfs.Garnet") : null;
        var binaries = new ServerBinaries(root, Dll(root, "src", "Pfs.FileServer"), Dll(root, "src", "Pfs.MetaServer"), garnet,
            Dll(root, "benchmarks", "Pfs.WireServer"), Dll(root, "src", "Pfs.Cli"));
        foreach (var dll in new[] { binaries.FileServer, binaries.MetaServerDll, garnet, binaries.WireServerDll, binaries.Cli })
        {
            if (dll is not null && !File.Exists(dll))
            {
                await BuildAsync(root, dll, log, cancellationToken);
            }
        }

        if (!native)
        {
            return binaries;
        }

        return binaries with
        {
            // The file server's project does not publish with Native AOT by itself (its referenced projects must be trimmed too).
            FileServer = await NativeAsync(root, "src", "Pfs.FileServer", binaries.FileServer, ["-p:PublishAot=true"], log, cancellationToken)
                         ?? binaries.FileServer,
            Cli = await NativeAsync(root, "src", "Pfs.Cli", binaries.Cli, [], log, cancellationToken) ?? binaries.Cli,
        };
    }

    // Native AOT executables are extra artifacts under bin/<configuration>/aot: the dlls stay what
    // `dotnet build` makes. Null (with a note) if the publish fails, e.g. for want of a C compiler.
    private static async Task<string?> NativeAsync(string root, string folder, string project, string dll, string[] properties, TextWriter log,
                                                   CancellationToken cancellationToken)
    {
        var output = Path.Combine(root, folder, project, "bin", Configuration, "aot");
        var executable = Path.Combine(output, project);
        if (File.Exists(executable) && File.GetLastWriteTimeUtc(executable) >= File.GetLastWriteTimeUtc(dll))
        {
            return executable;
        }

        await log.WriteLineAsync($"publishing {project} with Native AOT into {output} (a few minutes, once) ...");
        var (code, text) = await DotnetAsync(root,
            ["publish", Path.Combine(folder, project), "-c", Configuration, "-r", "linux-x64", .. properties, "-o", output, "-nologo", "-v", "q"],
            cancellationToken);
        if (code != 0 || !File.Exists(executable))
        {
            var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
            await log.WriteLineAsync($"note: the Native AOT publish of {project} failed ({last ?? $"exit code {code}"}); using its dll");
            return null;
        }

        // The dll was built after the sources it was built from; so is the executable now.
        File.SetLastWriteTimeUtc(executable, DateTime.UtcNow);
        return executable;
    }

    private static string Dll(string root, string folder, string project) =>
        Path.Combine(root, folder, project, "bin", Configuration, "net10.0", project + ".dll");

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

    private static async Task BuildAsync(string root, string dll, TextWriter log, CancellationToken cancellationToken)
    {
        var projectDirectory = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(dll))))!;
        var project = Path.GetRelativePath(root, projectDirectory);
        await log.WriteLineAsync($"building {project} ({Configuration}) ...");
        var (code, output) = await DotnetAsync(root, ["build", "-c", Configuration, "-nologo", "-v", "q", project], cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet build {project} failed:{Environment.NewLine}{output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> DotnetAsync(string root, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, output);
    }
}
