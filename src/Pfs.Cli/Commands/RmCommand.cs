using System.CommandLine;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs rm [-r] [-f] PATH...</c>: deletes files (waiting, like a writer, for their readers and writer to
/// close) and symbolic links; with <c>-r</c> directories with everything under them; with <c>-f</c> a PATH that
/// names nothing is passed over (as rm -f does).
/// </summary>
internal static class RmCommand
{
    public static Command Create(CliHost host)
    {
        var names = new Argument<string[]>("PATH") { Description = "The files (with -r: also directories) to delete", Arity = ArgumentArity.OneOrMore };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Delete directories and everything under them" };
        var force = new Option<bool>("--force", "-f") { Description = "Pass over a PATH that names nothing (no error)" };
        var jobs = Transfer.JobsOption(Transfer.DefaultRemoveJobs);
        var command = new Command("rm", "Delete files and their blocks on every file server") { names, recursive, force, jobs };
        Transfer.JobsGoWithRecursive(command, jobs, recursive);
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var paths = parse.GetRequiredValue(names);
            if (paths.Any(path => PfsTree.Show(path) == "/"))
            {
                throw new UsageException("refusing to remove the root directory");
            }

            // Every operand is looked at before any is removed: a missing one, or a directory without -r,
            // fails the command with nothing removed rather than after the operands before it.
            var entries = new List<PfsFileInfo>(paths.Length);
            foreach (var path in paths)
            {
                PfsFileInfo info;
                try
                {
                    info = await client.StatAsync(path, cancellationToken).ConfigureAwait(false);
                }
                catch (PfsException ex) when (ex.Code == PfsErrorCode.NotFound && parse.GetValue(force))
                {
                    continue;
                }

                if (info.Kind == PfsEntryKind.Directory && !parse.GetValue(recursive))
                {
                    throw new PfsException(PfsErrorCode.IsADirectory, $"'{info.Name}' is a directory (use rm -r, or rmdir if it is empty)");
                }

                entries.Add(info);
            }

            foreach (var info in entries)
            {
                await PfsTree.RemoveAsync(host.Console, client, info, parse.GetValue(jobs), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
