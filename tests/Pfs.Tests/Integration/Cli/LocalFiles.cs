namespace Pfs.Tests.Integration.Cli;

/// <summary>A scratch directory for local files, removed at dispose.</summary>
internal sealed class LocalFiles : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pfs-cli-").FullName;

    public string PathOf(string name) => Path.Combine(Root, name);

    public string Write(string name, byte[] contents)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, contents);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
