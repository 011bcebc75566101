namespace Pfs.Tests.Unit.FileServer;

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        FullPath = Directory.CreateTempSubdirectory("pfs-fileserver-").FullName;
    }

    public string FullPath { get; }

    /// <summary>Every file and directory below the root, relative and sorted, so tests can assert the whole tree.</summary>
    public IReadOnlyList<string> Tree() =>
        [.. Directory.EnumerateFileSystemEntries(FullPath, "*", SearchOption.AllDirectories)
            .Select(entry => Path.GetRelativePath(FullPath, entry).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        try
        {
            Directory.Delete(FullPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory must not fail a test.
        }
    }
}
