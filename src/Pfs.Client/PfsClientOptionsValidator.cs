using Microsoft.Extensions.Options;

namespace Pfs.Client;

/// <summary>Checks <see cref="PfsClientOptions"/> against the rules declared beside each setting (generated at build time).</summary>
[OptionsValidator]
internal sealed partial class PfsClientOptionsValidator : IValidateOptions<PfsClientOptions>
{
    public static readonly PfsClientOptionsValidator Instance = new();
}
