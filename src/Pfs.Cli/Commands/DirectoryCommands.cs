using System.CommandLine;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs mkdir [-p] PATH...</c> and <c>pfs rmdir PATH...</c>.</summary>
internal static class DirectoryCommands
{
    public static Command CreateMkdir(CliHost host)
    {
        var paths = new Argument<string[]>("PATH") { Description = "The directories to create", Arity = ArgumentArity.OneOrMore };
        var parents = new Option<bool>("--parents", "-p") { Description = "Create missing parents too; an existing directory is fine" };
        var command = new Command("mkdir", "Create directories") { paths, parents };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            foreach (var path in parse.GetRequiredValue(paths))
            {
                if (parse.GetValue(parents))
                {
                    await CreateWithParentsAsync(client, path, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await client.CreateDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command CreateRmdir(CliHost host)
    {
        var paths = new Argument<string[]>("PATH") { Description = "The empty directories to remove", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rmdir", "Remove empty directories") { paths };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            foreach (var path in parse.GetRequiredValue(paths))
            {
                await client.DeleteDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Creates each missing directory along <paramref name="path"/>; existing directories are fine, anything else there is not.</summary>
    internal static async Task CreateWithParentsAsync(PfsClient client, string path, CancellationToken cancellationToken)
    {
        var prefix = string.Empty;
        foreach (var component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            prefix = PfsTree.Join(prefix, component);
            try
            {
                await client.CreateDirectoryAsync(prefix, cancellationToken).ConfigureAwait(false);
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.AlreadyExists)
            {
                if (!await PfsTree.IsDirectoryAsync(client, prefix, cancellationToken).ConfigureAwait(false))
                {
                    throw new PfsException(PfsErrorCode.NotADirectory, $"'{prefix}' exists and is not a directory", ex);
                }
            }
        }
    }
}
