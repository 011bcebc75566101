using System.CommandLine;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs ln -s TARGET LINK</c> (a symbolic link holding TARGET as written) and <c>pfs ln EXISTING LINK</c> (a hard link);
/// LINK may be an existing directory to make the link in.
/// </summary>
internal static class LnCommand
{
    public static Command Create(CliHost host)
    {
        var target = new Argument<string>("TARGET") { Description = "With -s: the text the link holds (never checked or followed by the server); else the existing file" };
        var link = new Argument<string>("LINK") { Description = "The new link's path, or an existing directory to make it in (under TARGET's last component)" };
        var symbolic = new Option<bool>("--symbolic", "-s") { Description = "Make a symbolic link instead of a hard link" };
        var command = new Command("ln", "Make a hard link to a file, or a symbolic link with -s") { target, link, symbolic };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var to = parse.GetRequiredValue(link);
            var from = parse.GetRequiredValue(target);
            // As ln does: a link made in an existing directory takes the last component of TARGET as its name.
            if (await PfsTree.IsDirectoryAsync(client, to, cancellationToken).ConfigureAwait(false))
            {
                to = PfsTree.Join(to, PfsTree.LastComponent(from));
            }

            if (parse.GetValue(symbolic))
            {
                await client.CreateSymbolicLinkAsync(to, from, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.CreateHardLinkAsync(from, to, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
