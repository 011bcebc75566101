using System.Buffers;
using System.CommandLine;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs get NAME [LOCAL]</c>: copies a Pfs file to a local file, or to stdout with <c>-</c>.</summary>
internal static class GetCommand
{
    public static Command Create(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "The file in Pfs" };
        var local = new Argument<string?>("LOCAL")
        {
            Description = "Where to write it: a file, a directory, or - for standard output (default: the file's name in the current directory)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Copy the directory NAME and everything under it to the new local directory LOCAL" };
        var jobs = Transfer.JobsOption();
        var command = new Command("get", "Copy a file (or with -r a directory tree) out of Pfs (progress on a terminal)") { name, local, recursive, jobs };
        Transfer.JobsGoWithRecursive(command, jobs, recursive);
        host.SetClientAction(command, (parse, client, cancellationToken) => parse.GetValue(recursive)
            ? TreeTransfer.GetAsync(host.Console, client, parse.GetRequiredValue(name), parse.GetValue(local), parse.GetValue(jobs), cancellationToken)
            : RunAsync(host.Console, client, parse.GetRequiredValue(name), parse.GetValue(local), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, PfsClient client, string name, string? local, CancellationToken cancellationToken)
    {
        await using var file = await LockWait.NoticeAsync(console, name, () => client.OpenAsync(name, PfsOpenMode.Read, cancellationToken)).ConfigureAwait(false);
        await using var source = file.AsStream();
        if (local == "-")
        {
            await using var output = console.OpenData();
            await source.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        // As cp does: the file's own name (the last component of its path, never the path, which would
        // have an absolute name written at that absolute local path), in LOCAL if that is a directory.
        var fileName = PfsTree.LastComponent(name);
        var target = local is null ? fileName : Directory.Exists(local) ? Path.Combine(local, fileName) : local;
        // Written beside the target and renamed at the end, so a failed get leaves no truncated file.
        var directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"cannot write '{target}': directory '{directory}' does not exist");
        }

        var partial = Path.Combine(directory, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        var info = await file.StatAsync(cancellationToken).ConfigureAwait(false);
        var chunk = Transfer.ChunkBytes(info.StripeWidth, info.BlockSize);
        try
        {
            await using (var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, FileOptions.Asynchronous))
            {
                await TransferProgress.RunAsync(console, $"get {name}", source.Length, show: true,
                    report => CopyAsync(source, output, chunk, report, cancellationToken)).ConfigureAwait(false);
            }

            File.Move(partial, target, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }

        return ExitCodes.Ok;
    }

    internal static async Task<long> CopyAsync(Stream source, Stream output, int chunk, Action<long> report, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        long copied = 0;
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied += read;
                report(read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return copied;
    }
}
