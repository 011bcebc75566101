using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Pfs.Protocol;
using Pfs.ServiceDefaults.Security;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.ServiceDefaults;

/// <summary>
/// Where a server gets the cluster key that signs capabilities. In order: <c>Pfs:ClusterKey</c>
/// (base64; Aspire passes it as <c>Pfs__ClusterKey</c>, an embedder as its options' key), a key file
/// named by <c>--cluster-key-file</c> or <c>Pfs:ClusterKeyFile</c>, and last the per-user default
/// file <c>~/.pfs/cluster.key</c>, created on first use, so servers started by hand on one machine
/// agree without any setup. A key that is configured but missing or malformed is a start-up error.
/// </summary>
public static partial class ClusterKeys
{
    public const string ConfigurationKey = "Pfs:ClusterKey";
    public const string FileConfigurationKey = "Pfs:ClusterKeyFile";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // errno of link(2) when the new name exists (the same on Linux and macOS).
    private const int AlreadyExists = 17;

    public static string DefaultKeyFile =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pfs", "cluster.key");

    /// <summary>
    /// Registers the <see cref="CapabilitySigner"/> for the key <typeparamref name="TOptions"/> names;
    /// resolving it throws <see cref="ArgumentException"/> with a one-line reason.
    /// </summary>
    public static IServiceCollection AddPfsClusterKey<TOptions>(this IServiceCollection services)
        where TOptions : class, IPfsServerOptions =>
        services.AddSingleton(provider =>
        {
            var options = provider.GetRequiredService<TOptions>();
            var security = provider.GetRequiredService<PfsSecurityOptions>();
            return new CapabilitySigner(Resolve(options.ClusterKey, options.ClusterKeyFile)) { Lifetime = security.CapabilityLifetime };
        });

    /// <summary>The key itself, an explicit key file, or the default file (created if missing).</summary>
    /// <exception cref="ArgumentException">The key or the file is missing or malformed.</exception>
    public static byte[] Resolve(string? key, string? keyFile)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(key))
            {
                return CapabilitySigner.ParseKey(key);
            }

            if (!string.IsNullOrWhiteSpace(keyFile))
            {
                return File.Exists(keyFile)
                    ? CapabilitySigner.ParseKey(File.ReadAllText(keyFile))
                    : throw new ArgumentException($"cluster key file '{keyFile}' does not exist");
            }

            return CapabilitySigner.ParseKey(ReadOrCreate(DefaultKeyFile));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
    }

    /// <summary>
    /// Reads the key file, creating it first if there is none. Of several processes that find none,
    /// exactly one creates it, and none ever reads a part-written key: each writes a whole key to a
    /// file of its own beside it and links that into place, which fails if the name is taken; the
    /// losers read the winner's.
    /// </summary>
    internal static string ReadOrCreate(string path)
    {
        while (true)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (FileNotFoundException)
            {
            }
            catch (DirectoryNotFoundException)
            {
            }

            TryCreate(path);
        }
    }

    private static void TryCreate(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
        }

        var candidate = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(candidate, create))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(CapabilitySigner.NewKey());
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            Publish(candidate, path);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first; the caller reads theirs.
        }
        finally
        {
            File.Delete(candidate);
        }
    }

    /// <summary>Gives the whole <paramref name="candidate"/> the name <paramref name="path"/>, unless that name exists.</summary>
    private static void Publish(string candidate, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // MoveFileEx without MOVEFILE_REPLACE_EXISTING: atomic, and it fails if the name exists.
            File.Move(candidate, path, overwrite: false);
            return;
        }

        // Not File.Move: on Unix it checks for the name and then renames, so a second creator can replace
        // the first one's key after a server has read it. link(2) fails if the name exists.
        if (Link(candidate, path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw errno == AlreadyExists
                ? new IOException($"'{path}' exists")
                : new IOException($"cannot create '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existingPath, string newPath);
}
