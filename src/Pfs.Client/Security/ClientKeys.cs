using Pfs.Protocol.Security;

namespace Pfs.Client.Security;

/// <summary>Where a client's key comes from: the options, a key file, <c>PFS_KEY</c>, or <c>~/.pfs/client.key</c>.</summary>
internal static class ClientKeys
{
    public const string KeyVariable = "PFS_KEY";

    // Group and others may not read, write or run a key file, as ssh asks of a private key.
    private const UnixFileMode Shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static string DefaultKeyFile =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pfs", "client.key");

    /// <summary>The key the options name or the environment holds, or null if there is none.</summary>
    /// <exception cref="PfsException">InvalidArgument: a key or key file that is malformed, missing, or readable by others.</exception>
    public static ClientKey? Resolve(PfsClientOptions options)
    {
        var (text, source) = options.Key is { Length: > 0 } key ? (key, "the Key option")
            : options.KeyFile is { Length: > 0 } file ? (ReadKeyFile(file, required: true)!, file)
            : Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } variable ? (variable, KeyVariable)
            : (ReadKeyFile(DefaultKeyFile, required: false), DefaultKeyFile);
        if (text is null)
        {
            return null;
        }

        return ClientKey.TryParse(text, out var parsed, out var error)
            ? parsed
            : throw new PfsException(PfsErrorCode.InvalidArgument, $"{source}: {error}");
    }

    /// <summary>The text of a key file whose permissions are safe; null if it is optional and missing.</summary>
    public static string? ReadKeyFile(string path, bool required)
    {
        if (!File.Exists(path))
        {
            return required ? throw new PfsException(PfsErrorCode.InvalidArgument, $"key file '{path}' does not exist") : null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & Shared) != 0)
        {
            throw new PfsException(PfsErrorCode.InvalidArgument,
                $"key file '{path}' is accessible by other users; make it private (chmod 600 '{path}')");
        }

        return File.ReadAllText(path);
    }
}
