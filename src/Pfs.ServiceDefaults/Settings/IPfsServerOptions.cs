namespace Pfs.ServiceDefaults.Settings;

/// <summary>The settings both servers share (configuration section <c>Pfs</c>); see <see cref="PfsServerSettings"/>.</summary>
public interface IPfsServerOptions
{
    /// <summary>TCP port (<c>Pfs:Port</c>, <c>--port</c>); 0 picks a free one; null takes the endpoints from configuration (ASPNETCORE_URLS, as under Aspire).</summary>
    int? Port { get; }

    /// <summary>IP address to bind with <see cref="Port"/> (<c>Pfs:BindAddress</c>, <c>--bind</c>); null binds loopback only (127.0.0.1; see <see cref="Security.ListenPolicy"/>).</summary>
    string? BindAddress { get; }

    /// <summary>The cluster key, base64, at least 32 bytes (<c>Pfs:ClusterKey</c>); see <see cref="ClusterKeys"/> for the fallbacks.</summary>
    string? ClusterKey { get; }

    /// <summary>A file holding the cluster key (<c>Pfs:ClusterKeyFile</c>, <c>--cluster-key-file</c>).</summary>
    string? ClusterKeyFile { get; }
}
