namespace Pfs.ServiceDefaults.Settings;

/// <summary>What a flag's value must parse as; the parser refuses anything else before the server starts.</summary>
public enum FlagKind
{
    Text,
    Integer,
    Number,

    /// <summary>A flag without a value (<c>--insecure-bind</c>) that sets its key to true; <c>--flag false</c> also works.</summary>
    Switch,
}

/// <summary>
/// A command-line flag and the configuration key it sets: flags are just another configuration
/// source, so <c>--port 50051</c> and <c>Pfs__Port=50051</c> (or Aspire) reach the same setting.
/// </summary>
/// <param name="Name">The flag, e.g. <c>--port</c>.</param>
/// <param name="Key">The configuration key it sets, e.g. <c>Pfs:Port</c>.</param>
/// <param name="Description">For --help.</param>
/// <param name="Kind">What its value must parse as.</param>
public sealed record ServerFlag(string Name, string Key, string Description, FlagKind Kind = FlagKind.Text)
{
    /// <summary>How a validation message names the setting: the flag and the key.</summary>
    public override string ToString() => $"{Name} ({Key})";
}
