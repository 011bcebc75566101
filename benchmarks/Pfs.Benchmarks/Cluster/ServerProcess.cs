using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;

namespace Pfs.Benchmarks.Cluster;

/// <summary>
/// One server started as its own process (<c>dotnet Server.dll --port P ...</c>) on 127.0.0.1,
/// its output sent to a log file so that nothing in this process pays for reading it.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(string name, Process process, int port, string logFile)
    {
        Name = name;
        _process = process;
        Port = port;
        LogFile = logFile;
    }

    public string Name { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    public string LogFile { get; }

    public Uri Address => new($"{(TlsCaFile is null ? "http" : "https")}://127.0.0.1:{Port}");

    /// <summary>The CA of a server that serves TLS (set by <see cref="UseTls"/>), or null for cleartext.</summary>
    public string? TlsCaFile { get; private set; }

    /// <summary>This server serves TLS with a certificate <paramref name="caFile"/> signed: dial it with https and check it.</summary>
    public ServerProcess UseTls(string caFile)
    {
        TlsCaFile = caFile;
        return this;
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="dll"/> with <paramref name="args"/> plus <c>--port</c> and <c>--bind 127.0.0.1</c>.</summary>
    public static ServerProcess Start(string name, string dll, IEnumerable<string> args, string logDirectory,
                                      IReadOnlyDictionary<string, string>? environment = null, int? port = null) =>
        dll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? StartRaw(name, "dotnet", p => [dll, "--port", p, "--bind", "127.0.0.1", .. args], logDirectory, environment, port)
            : StartRaw(name, dll, p => ["--port", p, "--bind", "127.0.0.1", .. args], logDirectory, environment, port);

    /// <summary>
    /// Starts <paramref name="program"/> on <paramref name="port"/> (a free one if null) with the
    /// arguments <paramref name="args"/> makes for it.
    /// </summary>
    public static ServerProcess StartRaw(string name, string program, Func<string, IEnumerable<string>> args, string logDirectory,
                                         IReadOnlyDictionary<string, string>? environment = null, int? port = null)
    {
        port ??= FreePort();
        var logFile = Path.Combine(logDirectory, name + ".log");
        var all = args(port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

        ProcessStartInfo info;
        if (OperatingSystem.IsWindows())
        {
            info = new ProcessStartInfo(program);
            all.ForEach(info.ArgumentList.Add);
        }
        else
        {
            // exec: the shell becomes the server, so the pid (and its /proc status) is the server's.
            info = new ProcessStartInfo("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("exec \"$0\" \"$@\" >\"$PFS_BENCH_LOG\" 2>&1");
            info.ArgumentList.Add(program);
            all.ForEach(info.ArgumentList.Add);
            info.Environment["PFS_BENCH_LOG"] = logFile;
        }

        info.UseShellExecute = false;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // A trace of the benchmark (DOTNET_EnableEventPipe=1) is of the client only; servers are traced with dotnet-trace -p.
        info.Environment.Remove("DOTNET_EnableEventPipe");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        return new ServerProcess(name, process, port.Value, logFile);
    }

    /// <summary>Waits until the port accepts connections (for servers that speak no gRPC).</summary>
    public async Task WaitListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}: {Tail()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }

        throw new TimeoutException($"{Name} did not listen within {timeout.TotalSeconds:0} s; log: {Tail()}");
    }

    /// <summary>Waits until grpc.health.v1 says SERVING, the process exits, or the timeout passes.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = Protocol.Transport.PfsChannel.Create(Address, new Protocol.Transport.PfsChannelOptions { TlsCaFile = TlsCaFile });
        var health = new Health.HealthClient(channel);
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}: {Tail()}");
            }

            try
            {
                var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException ex)
            {
                last = ex;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not SERVING within {timeout.TotalSeconds:0} s ({last?.Message}); log: {Tail()}");
    }

    /// <summary>The last lines of the server's log, for error messages.</summary>
    public string Tail()
    {
        try
        {
            var lines = File.ReadAllLines(LogFile);
            return string.Join(" | ", lines.TakeLast(5));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>
    /// SIGKILL (a crash: nothing flushed, no goodbye to clients) and waits, at most
    /// <paramref name="timeout"/>, until the kernel has reaped it.
    /// </summary>
    public void Kill(TimeSpan timeout)
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }

        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"{Name} (pid {Pid}) did not exit within {timeout.TotalSeconds:0} s of SIGKILL");
        }
    }

    /// <summary>
    /// The warnings and errors in the server's log so far, each as its level and category line joined to
    /// the message line that follows it (the console format), oldest first.
    /// </summary>
    public List<string> Warnings()
    {
        var found = new List<string>();
        var lines = ReadLog().Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal)
                || lines[i].StartsWith("crit:", StringComparison.Ordinal))
            {
                var message = i + 1 < lines.Length ? lines[i + 1].Trim() : string.Empty;
                found.Add($"{lines[i].Trim()} {message}");
            }
        }

        return found;
    }

    /// <summary>Whether the server's log has a line with <paramref name="text"/> in it.</summary>
    public bool LogContains(string text) => ReadLog().Contains(text, StringComparison.Ordinal);

    // The log as written so far (the server may still be writing it); empty if there is none yet.
    private string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in between.
        }

        _process.Dispose();
    }

    // A port the kernel just handed out; the short race with other programs is retried by the caller.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Free ports below the kernel's ephemeral range, for servers whose ports are shaped: no
    /// client's own end of a connection (an ephemeral port) can then fall into a shaped class.
    /// </summary>
    public static IReadOnlyList<int> ShapeablePorts(int count)
    {
        var low = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            low = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }

        var ports = new List<int>();
        var random = new Random();
        for (var attempt = 0; ports.Count < count && attempt < 10_000; attempt++)
        {
            var port = random.Next(Math.Max(1024, low - 12_000), low);
            if (ports.Contains(port))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        return ports.Count == count ? ports : throw new InvalidOperationException($"found only {ports.Count} free ports below {low}");
    }
}
