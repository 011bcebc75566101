using System.CommandLine;

namespace Pfs.Cli;

/// <summary>
/// Refuses a word that looks like an option but is none of the command's. The parser takes such a word as a
/// PATH, and it unbundles <c>-rv</c> (with no <c>-v</c>) into <c>-r</c> and the PATH <c>v</c>: <c>pfs rm -rv dir</c>
/// would also delete the file <c>/v</c>, and <c>pfs mkdir -p --bogus</c> makes a directory named <c>--bogus</c>.
/// A name that starts with '-' goes after <c>--</c>; <c>-</c> alone (stdin or stdout) is a name.
/// </summary>
internal static class OptionCheck
{
    /// <summary>The one-line complaint about the first such word in <paramref name="args"/>, or null if there is none.</summary>
    public static string? Find(ParseResult parse, IReadOnlyList<string> args)
    {
        var options = new List<Option>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            options.AddRange(result.Command.Options);
        }

        Option? Named(string name) => options.FirstOrDefault(option => option.Name == name || option.Aliases.Contains(name));

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return null;
            }

            if (arg.Length < 2 || arg[0] != '-')
            {
                continue;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg.Split('=', 2)[0];
                if (Named(name) is not { } known)
                {
                    return $"unrecognized option '{name}'";
                }

                // --jobs 8: the word after it is its value.
                i += !IsFlag(known) && name.Length == arg.Length ? 1 : 0;
                continue;
            }

            var first = Named(arg[..2]);
            if (first is null)
            {
                return arg.Length == 2 ? $"unrecognized option '{arg}'" : $"unrecognized option '{arg[..2]}' in '{arg}'";
            }

            if (!IsFlag(first))
            {
                // -j8, -w4: the rest is its value. The word after it is its value too.
                i += arg.Length == 2 ? 1 : 0;
                continue;
            }

            // A bundle of flags (-rf): every letter must be one.
            foreach (var letter in arg[2..])
            {
                if (Named("-" + letter) is not { } option || !IsFlag(option))
                {
                    return $"unrecognized option '-{letter}' in '{arg}'";
                }
            }
        }

        return null;
    }

    private static bool IsFlag(Option option) => option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0;
}
