using System.Buffers;
using System.CommandLine;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs put LOCAL [NAME]</c>: creates NAME with the chosen striping and copies LOCAL into it.</summary>
internal static class PutCommand
{
    public const int DefaultBlockSize = 1024 * 1024;


    public static Command Create(CliHost host)
    {
        var local = new Argument<string>("LOCAL") { Description = "The local file to copy, or - for standard input" };
        var name = new Argument<string?>("NAME")
        {
            Description = "Its name in Pfs (default: LOCAL's file name)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var layout = new LayoutOptions(DefaultBlockSize, "every file server the parity leaves");
        var force = new Option<bool>("--force", "-f") { Description = "Replace NAME if it exists" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Copy the directory LOCAL and everything under it into the new directory NAME" };
        var jobs = Transfer.JobsOption();
        var command = new Command("put", "Copy a local file (or with -r a directory tree) into Pfs (progress on a terminal)")
        {
            local,
            name,
        };
        layout.AddTo(command);
        command.Options.Add(force);
        command.Options.Add(recursive);
        command.Options.Add(jobs);
        Transfer.JobsGoWithRecursive(command, jobs, recursive);
        host.SetClientAction(command, (parse, client, cancellationToken) => parse.GetValue(recursive)
            ? parse.GetValue(force)
                ? throw new UsageException("--force does not go with -r: a tree is copied to a new name only")
                : TreeTransfer.PutAsync(host.Console, client, parse.GetRequiredValue(local), parse.GetValue(name),
                    parse.GetValue(layout.Width), parse.GetValue(layout.BlockSize), parse.GetValue(layout.Parity), parse.GetValue(jobs), cancellationToken)
            : RunAsync(host.Console, client, parse.GetRequiredValue(local), parse.GetValue(name), parse.GetValue(layout.Width),
                parse.GetValue(layout.BlockSize), parse.GetValue(layout.Parity), parse.GetValue(force), cancellationToken));
        return command;
    }

    /// <summary>The local file to copy, or a one-line refusal naming what is wrong with it.</summary>
    private static FileStream OpenLocal(string local)
    {
        if (Directory.Exists(local))
        {
            throw new UsageException($"'{local}' is a directory (put -r copies a directory tree)");
        }

        try
        {
            return new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"cannot read '{local}': no such file", local, ex);
        }
    }

    private static async Task<int> RunAsync(CliConsole console, PfsClient client, string local, string? name,
        int? width, int blockSize, int parity, bool force, CancellationToken cancellationToken)
    {
        var fromStdin = local == "-";
        name ??= fromStdin
            ? throw new UsageException("NAME is required when LOCAL is - (standard input)")
            : Path.GetFileName(Path.TrimEndingDirectorySeparator(local));
        await using var source = fromStdin ? Console.OpenStandardInput() : OpenLocal(local);
        long? total = fromStdin ? null : source.Length;
        if (!fromStdin && (PfsTree.Show(name) == "/" || await PfsTree.IsDirectoryAsync(client, name, cancellationToken).ConfigureAwait(false)))
        {
            // Into an existing directory (the root included), under the file's own name, as cp does.
            name = PfsTree.Join(name, Path.GetFileName(Path.TrimEndingDirectorySeparator(local)));
        }

        var stripeWidth = await LayoutOptions.DataWidthAsync(client, width, parity, cancellationToken).ConfigureAwait(false);
        await CreateAsync(console, client, name, new PfsCreateOptions { StripeWidth = stripeWidth, BlockSize = blockSize, ParityBlocks = parity }, force, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            var chunk = Transfer.ChunkBytes(stripeWidth, blockSize);
            await TransferProgress.RunAsync(console, $"put {name}", total, show: true,
                report => CopyAsync(console, client, source, name, chunk, report, cancellationToken)).ConfigureAwait(false);
        }
        catch
        {
            // Leave no half-written file behind under the name.
            await DeleteQuietlyAsync(console, client, name).ConfigureAwait(false);
            throw;
        }

        return ExitCodes.Ok;
    }

    private static async Task CreateAsync(CliConsole console, PfsClient client, string name, PfsCreateOptions layout, bool force, CancellationToken cancellationToken)
    {
        try
        {
            await client.CreateAsync(name, layout, cancellationToken).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.AlreadyExists)
        {
            if (!force)
            {
                throw new PfsException(ex.Code, $"'{name}' already exists (use --force to replace it)", ex);
            }

            await LockWait.NoticeAsync(console, name, () => client.DeleteAsync(name, cancellationToken)).ConfigureAwait(false);
            await client.CreateAsync(name, layout, cancellationToken).ConfigureAwait(false);
        }
    }

    internal static async Task<long> CopyAsync(CliConsole console, PfsClient client, Stream source, string name, int chunk, Action<long> report,
                                              CancellationToken cancellationToken)
    {
        var file = await LockWait.NoticeAsync(console, name, () => client.OpenAsync(name, PfsOpenMode.Write, cancellationToken)).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        long offset = 0;
        try
        {
            int read;
            while ((read = await source.ReadAtLeastAsync(buffer.AsMemory(0, chunk), chunk,
                       throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), offset, cancellationToken).ConfigureAwait(false);
                offset += read;
                report(read);
            }

            // Closing flushes the last blocks durably; only then is the put done.
            await file.CloseAsync().ConfigureAwait(false);
            return offset;
        }
        catch
        {
            // A failed write or close (a full disk, servers out of reach, Ctrl+C) leaves the open with its lock:
            // give it up, so its writes go and the half-made file can be removed (a delete waits for every lock,
            // this one's too).
            await AbortQuietlyAsync(file).ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task AbortQuietlyAsync(PfsFile file)
    {
        try
        {
            await file.AbortAsync().ConfigureAwait(false);
        }
        catch (PfsException)
        {
            // The metadata server is out of reach: the lock goes when this client's lease ends.
        }
    }

    /// <summary>How long the clean-up of a failed put may take before it is given up (and said).</summary>
    internal static readonly TimeSpan CleanupTime = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Removes what a failed put made (<paramref name="cleanUp"/>), within <see cref="CleanupTime"/>. The error that
    /// made the put fail is the one to report; a clean-up that cannot finish says what it left (<paramref name="left"/>)
    /// and how to remove it (<paramref name="remove"/>), after that error. Something already gone is no failure.
    /// </summary>
    internal static async Task CleanUpAsync(CliConsole console, string left, string remove, Func<CancellationToken, Task> cleanUp)
    {
        using var limit = new CancellationTokenSource(CleanupTime);
        try
        {
            await cleanUp(limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PfsException { Code: not PfsErrorCode.NotFound } or OperationCanceledException)
        {
            console.NoteAfterFailure($"could not remove {left} ({(ex is PfsException ? ex.Message : "no answer in time")}); remove it with {remove}");
        }
        catch (PfsException)
        {
            // Already gone.
        }
    }

    private static Task DeleteQuietlyAsync(CliConsole console, PfsClient client, string name) =>
        CleanUpAsync(console, $"the partial file '{PfsTree.Show(name)}'", "pfs rm", token => client.DeleteAsync(name, token));
}
