using System.CommandLine;
using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs stat PATH [--json]</c>: what the metadata server knows about a file, directory or symbolic link.</summary>
internal static class StatCommand
{
    public static Command Create(CliHost host)
    {
        var name = new Argument<string>("PATH") { Description = "The file, directory or link in Pfs" };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of text" };
        var command = new Command("stat", "Show an entry's kind, size, striping, owner, mode and times") { name, json };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var info = await client.StatAsync(parse.GetRequiredValue(name), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(info, CliJson.Default.PfsFileInfo);
                return ExitCodes.Ok;
            }

            var output = host.Console.Out;
            output.WriteLine($"name:          {PfsTree.Show(info.Name)}");
            output.WriteLine($"kind:          {Kind(info.Kind)}");
            if (info.Kind == PfsEntryKind.File)
            {
                var blocks = info.BlockSize > 0 ? (info.Size + info.BlockSize - 1) / info.BlockSize : 0;
                output.WriteLine($"size:          {info.Size} bytes ({Sizes.Format(info.Size)})");
                output.WriteLine($"blocks:        {blocks} of {Sizes.Format(info.BlockSize)}");
                output.WriteLine($"stripe width:  {info.StripeWidth}");
                if (info.ParityBlocks > 0)
                {
                    output.WriteLine($"parity blocks: {info.ParityBlocks} ({info.StripeWidth}+{info.ParityBlocks}: survives any {Counts.Of(info.ParityBlocks, "lost server")})");
                    output.WriteLine(info.IsDegraded
                        ? $"redundancy:    degraded (stale positions {string.Join(' ', info.StalePositions)}; 'pfs repair' rebuilds them)"
                        : "redundancy:    full");
                }
                else if (info.IsDegraded)
                {
                    output.WriteLine($"damage:        blocks lost at stripe positions {string.Join(' ', info.StalePositions)} (their server came back without its data, or lost a committed write; no parity to rebuild them): reads of them fail until the file is written anew or deleted");
                }
            }
            else if (info.Kind == PfsEntryKind.SymbolicLink)
            {
                output.WriteLine($"target:        {info.Target}");
            }

            output.WriteLine($"inode:         {info.Inode}");
            output.WriteLine($"mode:          {Modes.Format(info)} ({Modes.Octal(info.Mode)})");
            output.WriteLine($"links:         {info.LinkCount}");
            output.WriteLine($"owner:         uid {info.Uid}, gid {info.Gid}");
            output.WriteLine($"created:       {Times.Format(info.Created)}");
            output.WriteLine($"modified:      {Times.Format(info.Modified)}");
            output.WriteLine($"changed:       {Times.Format(info.Changed)}");
            output.WriteLine($"accessed:      {Times.Format(info.Accessed)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Kind(PfsEntryKind kind) => kind switch
    {
        PfsEntryKind.Directory => "directory",
        PfsEntryKind.SymbolicLink => "symbolic link",
        _ => "file",
    };
}
