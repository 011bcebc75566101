using System.CommandLine;
using System.Globalization;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs ls [-l] [-R] [--json] [PATH...]</c>: a directory's entries (the root by default), each by its
/// full path; a file or link lists itself. <c>-R</c> adds everything below, parents first. An operand that
/// names nothing is one line on stderr, the others are listed, and the exit is 1.
/// </summary>
internal static class LsCommand
{
    public static Command Create(CliHost host)
    {
        var path = new Argument<string[]>("PATH") { Description = "Directories (default: the root) or files, listed one after the other", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print a JSON array (camelCase fields) instead of a table" };
        var longFormat = new Option<bool>("-l") { Description = "Long format: mode, links, owner, size, modification time" };
        var recursive = new Option<bool>("--recursive", "-R") { Description = "Also list every directory below, parents first" };
        var command = new Command("ls", "List a directory: name, size, stripe width, block size, modification time")
        {
            path,
            json,
            longFormat,
            recursive,
        };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            // Each entry shows its full path, so the listings of several PATHs make one table. As ls(1) does, an operand
            // that names nothing (or is unreadable) is said on stderr and the others are still listed; the exit is then 1.
            var entries = new List<PfsFileInfo>();
            var failed = false;
            foreach (var each in parse.GetValue(path) is { Length: > 0 } given ? given : [string.Empty])
            {
                try
                {
                    entries.AddRange(await CollectAsync(client, each, parse.GetValue(recursive), cancellationToken).ConfigureAwait(false));
                }
                catch (PfsException ex) when (ex.Code is PfsErrorCode.NotFound or PfsErrorCode.NotADirectory or PfsErrorCode.PermissionDenied or PfsErrorCode.InvalidArgument)
                {
                    host.Console.Fail(ex.Message);
                    failed = true;
                }
            }

            if (parse.GetValue(json))
            {
                host.Console.WriteJson<IReadOnlyList<PfsFileInfo>>(entries, CliJson.Default.IReadOnlyListPfsFileInfo);
            }
            else if (entries.Count > 0)
            {
                (parse.GetValue(longFormat) ? Long(entries) : Short(entries)).Write(host.Console);
            }

            return failed ? ExitCodes.Error : ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<List<PfsFileInfo>> CollectAsync(PfsClient client, string path, bool recursive, CancellationToken cancellationToken)
    {
        if (PfsTree.Show(path) != "/")
        {
            var info = await client.StatAsync(path, cancellationToken).ConfigureAwait(false);
            if (info.Kind != PfsEntryKind.Directory)
            {
                return [info];
            }
        }

        var entries = new List<PfsFileInfo>();
        if (recursive)
        {
            await foreach (var entry in PfsTree.WalkAsync(client, path, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(entry);
            }
        }
        else
        {
            entries.AddRange(await PfsTree.ListSortedAsync(client, path, cancellationToken).ConfigureAwait(false));
        }

        return entries;
    }

    private static CliTable Short(List<PfsFileInfo> entries)
    {
        var table = new CliTable("NAME", "SIZE", "WIDTH", "BLOCK", "MODIFIED").AlignRight(1, 2, 3);
        foreach (var entry in entries)
        {
            var file = entry.Kind == PfsEntryKind.File;
            table.AddRow(
                Modes.Label(entry),
                file ? entry.Size.ToString(CultureInfo.InvariantCulture) : "-",
                file ? entry.StripeWidth.ToString(CultureInfo.InvariantCulture) : "-",
                file ? Sizes.Format(entry.BlockSize) : "-",
                Times.Format(entry.Modified));
        }

        return table;
    }

    private static CliTable Long(List<PfsFileInfo> entries)
    {
        var table = new CliTable("MODE", "LINKS", "UID", "GID", "SIZE", "MODIFIED", "NAME").AlignRight(1, 2, 3, 4);
        foreach (var entry in entries)
        {
            table.AddRow(
                Modes.Format(entry),
                Modes.Number(entry.LinkCount),
                Modes.Number(entry.Uid),
                Modes.Number(entry.Gid),
                Modes.Number(entry.Size),
                Times.Format(entry.Modified),
                Modes.Label(entry));
        }

        return table;
    }
}
