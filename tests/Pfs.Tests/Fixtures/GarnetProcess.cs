using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// A real Redis-protocol server for the tests: Pfs.Garnet (Microsoft Garnet from NuGet, built with
/// this project) as a child process on a free 127.0.0.1 port, with its append-only file in a
/// scratch directory. It can be killed (SIGKILL, as a crash) and started again on the same port
/// and directory, where it replays what it had acknowledged.
/// </summary>
public sealed class GarnetProcess : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string[] _extraArgs;
    private Process? _process;

    public GarnetProcess()
        : this(Path.Combine(Path.GetTempPath(), "pfs-garnet-" + Guid.NewGuid().ToString("N")[..12]))
    {
    }

    /// <summary>A Garnet on a data directory of the caller's (one holding an AOF it replays at start); removed on dispose. Internal: xunit wants one public constructor.</summary>
    internal GarnetProcess(string dataDirectory, params string[] extraArgs)
    {
        Port = FreePort();
        DataDirectory = dataDirectory;
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>A StackExchange.Redis connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A scratch directory left behind is harmless.
        }
    }

    /// <summary>Starts it (again) and returns once it answers PING.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("Garnet is running");
        }

        var dll = typeof(GarnetProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "PfsGarnetDll").Value!;
        var start = new ProcessStartInfo(DotnetHost, [dll, "--port", Port.ToString(CultureInfo.InvariantCulture), "--data-dir", DataDirectory,
            "--exit-with", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), .. _extraArgs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {dll}");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!await PingAsync())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Pfs.Garnet exited with code {_process.ExitCode} at start");
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"Pfs.Garnet did not answer PING within {StartTimeout.TotalSeconds} s");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Kills it at once (SIGKILL): nothing is flushed beyond what it acknowledged.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            process.Dispose();
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var tcp = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await tcp.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = tcp.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read >= 5 && buffer.AsSpan(0, 5).SequenceEqual("+PONG"u8);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int FreePort() => TestPorts.Free();
}

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetProcess>
{
    public const string Name = "garnet";
}
