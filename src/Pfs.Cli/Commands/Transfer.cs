using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Pfs.Cli.Commands;

/// <summary>How much <c>put</c> and <c>get</c> move per call, and how many entries of a tree move at once.</summary>
internal static class Transfer
{
    /// <summary>
    /// Entries of a tree in flight at once unless <c>--jobs</c> says otherwise: each small file costs a few round
    /// trips (create, open, write, close, attributes), so one at a time leaves the servers idle between them.
    /// </summary>
    public const int DefaultJobs = 8;

    /// <summary>
    /// Entries of a tree removed at once unless <c>--jobs</c> says otherwise: a remove moves no data and is all
    /// round trips (the metadata server's, and its deletes of the stripe objects on every file server), so it takes
    /// more in flight to keep the servers busy (docs/PERFORMANCE.md, "Trees through the tool": 1.82x the rate
    /// of 8, with the command that measures it).
    /// </summary>
    public const int DefaultRemoveJobs = 32;

    /// <summary>The most <c>--jobs</c> takes.</summary>
    public const int MaxJobs = 256;

    private const int MinChunkBytes = 4 * 1024 * 1024;
    private const int MaxChunkBytes = 64 * 1024 * 1024;

    /// <summary>
    /// A whole stripe (a block on every server), at least 4 MiB and at most 64 MiB: a call of 4 MiB
    /// on a stripe of 8 servers of 1 MiB blocks reaches only half of them, and the next call's half
    /// waits behind it. The library's write-behind and read-ahead keep the calls overlapping.
    /// </summary>
    public static int ChunkBytes(int stripeWidth, int blockSize) =>
        (int)Math.Clamp((long)stripeWidth * blockSize, MinChunkBytes, MaxChunkBytes);

    /// <summary>What the chunks of a tree's <c>--jobs</c> copies at once may hold in all.</summary>
    public const long TreeBufferBudget = 256L * 1024 * 1024;

    private const int MinTreeChunkBytes = 64 * 1024;

    /// <summary>
    /// The chunk for a file of <paramref name="length"/> bytes in a tree moved <paramref name="jobs"/> files at
    /// once: no bigger than the file (at least 64 KiB, should it grow meanwhile), so small files hold small
    /// buffers, not a whole stripe's each; and no bigger than the jobs' share of <see cref="TreeBufferBudget"/>,
    /// so <c>-j 256</c> over wide stripes does not hold 256 chunks of 64 MiB. A big file with few jobs moves
    /// as a lone file does.
    /// </summary>
    public static int ChunkBytes(int stripeWidth, int blockSize, long length, int jobs) =>
        (int)Math.Min(Math.Min(ChunkBytes(stripeWidth, blockSize), Math.Max(TreeBufferBudget / Math.Max(1, jobs), MinTreeChunkBytes)),
            Math.Max(length, MinTreeChunkBytes));

    /// <summary>The <c>--jobs</c> option of the commands that take whole trees (<c>-r</c>).</summary>
    public static Option<int> JobsOption(int defaultJobs = DefaultJobs) => new("--jobs", "-j")
    {
        Description = $"With -r: files and links moved (or removed) at once (1 to {MaxJobs}; default {defaultJobs})",
        HelpName = "N",
        DefaultValueFactory = _ => defaultJobs,
        CustomParser = static result => ParseJobs(result),
    };

    /// <summary>Refuses <c>--jobs</c> on a command line without <c>-r</c> (at parsing, before anything is done).</summary>
    public static void JobsGoWithRecursive(Command command, Option<int> jobs, Option<bool> recursive) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(jobs) is { Implicit: false } && !result.GetValue(recursive))
            {
                result.AddError("--jobs goes with -r only");
            }
        });

    /// <summary>
    /// Runs <paramref name="work"/> for every item, at most <paramref name="jobs"/> at once. The first failure
    /// stops what has not started, waits for what has, and is thrown as it is (one error, one line).
    /// </summary>
    public static Task ForEachAsync<T>(IEnumerable<T> items, int jobs, Func<T, CancellationToken, ValueTask> work,
                                       CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = cancellationToken }, work);

    /// <summary>
    /// Runs <paramref name="work"/> for paths a level at a time (by their count of <c>/</c>), shallowest or
    /// deepest level first, each level's at most <paramref name="jobs"/> at once: parents before children for
    /// making directories, children before parents for removing them.
    /// </summary>
    public static async Task ByLevelAsync<T>(IEnumerable<T> items, Func<T, string> path, bool deepestFirst, int jobs,
                                             Func<T, CancellationToken, ValueTask> work, CancellationToken cancellationToken)
    {
        var levels = items.GroupBy(item => path(item).Count(c => c == '/'));
        foreach (var level in deepestFirst ? levels.OrderByDescending(level => level.Key) : levels.OrderBy(level => level.Key))
        {
            await ForEachAsync(level, jobs, work, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int ParseJobs(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var jobs) && jobs is >= 1 and <= MaxJobs)
        {
            return jobs;
        }

        result.AddError($"--jobs '{text}' must be a whole number from 1 to {MaxJobs}");
        return DefaultJobs;
    }
}
