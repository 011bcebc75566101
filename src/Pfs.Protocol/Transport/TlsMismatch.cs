using System.Security.Authentication;
using Grpc.Core;

namespace Pfs.Protocol.Transport;

/// <summary>Connections that fail because the two ends do not agree on TLS, said in words (clients, tool and servers alike).</summary>
public static class TlsMismatch
{
    /// <summary>
    /// In words, a connection that failed because the two ends do not agree on TLS (a certificate this client does not
    /// accept, TLS against cleartext or the reverse); null for anything else. Such a failure is the same at every
    /// attempt, so it is reported at once rather than retried as an unreachable server.
    /// </summary>
    public static string? Describe(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        for (var cause = ex.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            if (cause is AuthenticationException)
            {
                var message = cause.Message;
                return message.Contains("NotTimeValid", StringComparison.Ordinal)
                    ? "has a TLS certificate that has expired or is not valid yet"
                    : message.Contains("NameMismatch", StringComparison.Ordinal)
                        ? "has a TLS certificate for another host name (the name in the address must be one the certificate lists)"
                        : message.Contains("UntrustedRoot", StringComparison.Ordinal) || message.Contains("PartialChain", StringComparison.Ordinal)
                            ? "has a TLS certificate this client does not trust (give the cluster's CA with --tls-ca or PFS_TLS_CA)"
                            : message.Contains("certificate", StringComparison.OrdinalIgnoreCase)
                                ? $"has a TLS certificate this client does not accept ({message})"
                                : "does not answer TLS (if it serves cleartext, name it http://)";
            }

            if (cause is HttpRequestException && cause.Message.Contains("HTTP/2 handshake", StringComparison.Ordinal))
            {
                return "does not answer cleartext HTTP/2 (if it serves TLS, name it https://)";
            }
        }

        return null;
    }
}
