using System.Globalization;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// Finds a file's stripe objects in file servers' data directories by generation (file id) alone, in
/// whichever layout the file server keeps them (<c>objects/&lt;name&gt;/&lt;gen&gt;</c> or <c>stripes/&lt;xx&gt;/&lt;gen&gt;</c>).
/// </summary>
public static class StripeObjectSearch
{
    /// <summary>Every object file (not the epoch marks a delete leaves) of <paramref name="generation"/> under <paramref name="dataRoot"/>.</summary>
    public static IReadOnlyList<string> Find(string dataRoot, ulong generation)
    {
        var hex = generation.ToString("x16", CultureInfo.InvariantCulture);
        return Directory.Exists(dataRoot)
            ? [.. Directory.EnumerateFiles(dataRoot, hex + "*", SearchOption.AllDirectories)
                .Where(path => Path.GetFileName(path) is var name && (name == hex || name.StartsWith(hex + ".stage", StringComparison.Ordinal)))]
            : [];
    }

    /// <summary>Waits until no object of <paramref name="generation"/> is left under <paramref name="dataRoot"/>.</summary>
    public static Task WaitUntilGoneAsync(string dataRoot, ulong generation, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Find(dataRoot, generation).Count == 0, $"the stripe objects of file {generation:x16} are deleted", timeout ?? TimeSpan.FromSeconds(20));
}
