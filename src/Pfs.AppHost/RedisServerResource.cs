namespace Pfs.AppHost;

/// <summary>
/// A Redis-protocol server run as a plain executable (Garnet from NuGet, or Debian's redis-server):
/// no container runtime needed. Its connection string is <c>host:port</c> of its <c>tcp</c>
/// endpoint, so <c>WithReference</c> hands services a <c>ConnectionStrings__{name}</c> that
/// StackExchange.Redis understands.
/// </summary>
public sealed class RedisServerResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    /// <summary>Name of the endpoint the server listens on.</summary>
    public const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    /// <summary>The endpoint clients connect to.</summary>
    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    /// <inheritdoc />
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}
