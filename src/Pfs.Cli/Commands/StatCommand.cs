using System.CommandLine;
using Pfs.Cli.Output;

namespace Pfs.Cli.Commands;

/// <summary><c>pfs stat NAME [--json]</c>: what the registry knows about one file.</summary>
internal static class StatCommand
{
    public static Command Create(CliHost host)
    {
        var name = new Argument<string>("NAME") { Description = "The file in Pfs" };
        var json = new Option<bool>("--json") { Description = "Print a JSON object instead of text" };
        var command = new Command("stat", "Show a file's size, striping and times") { name, json };
        host.SetClientAction(command, async (parse, client, cancellationToken) =>
        {
            var info = await client.StatAsync(parse.GetRequiredValue(name), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                host.Console.WriteJson(info, CliJson.Default.PfsFileInfo);
                return ExitCodes.Ok;
            }

            var blocks = (info.Size + info.BlockSize - 1) / info.BlockSize;
            var output = host.Console.Out;
            output.WriteLine($"name:          {info.Name}");
            output.WriteLine($"size:          {info.Size} bytes ({Sizes.Format(info.Size)})");
            output.WriteLine($"blocks:        {blocks} of {Sizes.Format(info.BlockSize)}");
            output.WriteLine($"stripe width:  {info.StripeWidth}");
            output.WriteLine($"created:       {Times.Format(info.Created)}");
            output.WriteLine($"modified:      {Times.Format(info.Modified)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
