using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>Who a call comes from: an identity, or nobody when the cluster asks for no key.</summary>
/// <param name="Name">The identity's name; null for an unauthenticated caller (who may do anything, as in the first version).</param>
/// <param name="Scope">The normal form of its scope ("" for everything).</param>
/// <param name="ReadOnly">True if it may only read.</param>
internal sealed record Caller(string? Name, string Scope, bool ReadOnly)
{
    public static readonly Caller Anonymous = new(null, string.Empty, false);

    /// <summary>True if nothing limits this caller.</summary>
    public bool Unlimited => Scope.Length == 0 && !ReadOnly;

    public static Caller Of(Identity identity) =>
        new(identity.Name, ScopePath.Normalize(identity.Scope) ?? identity.Scope, identity.ReadOnly);

    public override string ToString() => Name ?? "(no identity)";
}
