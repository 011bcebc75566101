using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pfs.Protocol;

namespace Pfs.ServiceDefaults;

/// <summary>
/// Where a server gets the cluster key that signs capabilities. In order: an explicit key (tests),
/// <c>Pfs:ClusterKey</c> in configuration (base64; Aspire passes it as <c>Pfs__ClusterKey</c>), a
/// key file named by <c>--cluster-key-file</c> or <c>Pfs:ClusterKeyFile</c>, and last the
/// per-user default file <c>~/.pfs/cluster.key</c>, created on first use, so servers started by
/// hand on one machine agree without any setup. A key that is configured but missing or
/// malformed is a start-up error.
/// </summary>
public static class ClusterKeys
{
    public const string ConfigurationKey = "Pfs:ClusterKey";
    public const string FileConfigurationKey = "Pfs:ClusterKeyFile";

    public static string DefaultKeyFile =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pfs", "cluster.key");

    /// <summary>Resolves the key and registers the <see cref="CapabilitySigner"/>; throws <see cref="ArgumentException"/> with a one-line reason.</summary>
    public static WebApplicationBuilder AddPfsClusterKey(this WebApplicationBuilder builder, string? explicitKey, string? keyFile)
    {
        var key = Resolve(explicitKey, keyFile, builder.Configuration, out var source);
        builder.Services.AddSingleton(new CapabilitySigner(key));
        builder.Services.AddSingleton(new ClusterKeySource(source));
        return builder;
    }

    public static byte[] Resolve(string? explicitKey, string? keyFile, IConfiguration configuration, out string source)
    {
        try
        {
            if (!string.IsNullOrWhiteSpace(explicitKey))
            {
                source = "options";
                return CapabilitySigner.ParseKey(explicitKey);
            }

            if (configuration[ConfigurationKey] is { Length: > 0 } configured)
            {
                source = $"configuration ({ConfigurationKey})";
                return CapabilitySigner.ParseKey(configured);
            }

            var file = !string.IsNullOrWhiteSpace(keyFile) ? keyFile : configuration[FileConfigurationKey];
            if (!string.IsNullOrWhiteSpace(file))
            {
                if (!File.Exists(file))
                {
                    throw new ArgumentException($"cluster key file '{file}' does not exist");
                }

                source = file;
                return CapabilitySigner.ParseKey(File.ReadAllText(file));
            }

            source = DefaultKeyFile;
            return CapabilitySigner.ParseKey(ReadOrCreateDefault(DefaultKeyFile));
        }
        catch (FormatException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
    }

    private static string ReadOrCreateDefault(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // CreateNew: of two servers starting at once, one writes the key and both read it.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, create);
            using var writer = new StreamWriter(stream);
            writer.Write(CapabilitySigner.NewKey());
        }
        catch (IOException) when (File.Exists(path))
        {
            // Someone else created it first.
        }

        return File.ReadAllText(path);
    }
}

/// <summary>Where the cluster key came from, for the start-up log.</summary>
public sealed record ClusterKeySource(string Description);
