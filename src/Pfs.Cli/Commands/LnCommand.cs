using System.CommandLine;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs ln -s TARGET LINK</c> (a symbolic link holding TARGET as written) and <c>pfs ln EXISTING LINK</c> (a hard link).</summary>
internal static class LnCommand
{
    public static Command Create(CliHost host)
    {
        var target = new Argument<string>("TARGET") { Description = "With -s: the text the link holds (never checked or followed by the server); else the existing file" };
        var link = new Argument<string>("LINK") { Description = "The new link's path" };
        var symbolic = new Option<bool>("--symbolic", "-s") { Description = "Make a symbolic link instead of a hard link" };
        var command = new Command("ln", "Make a hard link to a file, or a symbolic link with -s") { target, link, symbolic };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            if (parse.GetValue(symbolic))
            {
                await client.CreateSymbolicLinkAsync(parse.GetRequiredValue(link), parse.GetRequiredValue(target), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await client.CreateHardLinkAsync(parse.GetRequiredValue(target), parse.GetRequiredValue(link), cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
