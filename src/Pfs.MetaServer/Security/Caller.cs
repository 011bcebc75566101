using Grpc.Core;
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

    /// <summary>The caller <see cref="AuthInterceptor"/> found for this call (anonymous if it saw none).</summary>
    public static Caller Of(ServerCallContext context) =>
        context?.UserState.TryGetValue(typeof(Caller), out var caller) == true && caller is Caller found ? found : Anonymous;

    /// <summary>Remembers the caller for the service that runs the call.</summary>
    public void AttachTo(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.UserState[typeof(Caller)] = this;
    }

    public override string ToString() => Name ?? "(no identity)";
}
