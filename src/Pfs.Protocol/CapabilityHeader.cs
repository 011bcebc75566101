using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol.FileServer;

namespace Pfs.Protocol;

/// <summary>
/// A WriteBytes call's capability, carried also in the request metadata so that a file server can
/// check it before it receives the payload (see fileserver.proto, "version 2 rules").
/// </summary>
public static class CapabilityHeader
{
    /// <summary>The header: a binary gRPC header, so its value travels base64-encoded.</summary>
    public const string Name = "pfs-capability-bin";

    // A capability is a few hundred bytes at most; anything much longer is not one.
    private const int MaxEncodedLength = 16 * 1024;

    /// <summary>Request metadata that carries <paramref name="capability"/>.</summary>
    public static Metadata For(Capability capability)
    {
        ArgumentNullException.ThrowIfNull(capability);
        return new Metadata { { Name, capability.ToByteArray() } };
    }

    /// <summary>
    /// Reads the capability from the header's raw value (base64, padded or not, as gRPC allows), or
    /// null if there is no usable one.
    /// </summary>
    public static Capability? Parse(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded) || encoded.Length > MaxEncodedLength)
        {
            return null;
        }

        var padded = (encoded.Length % 4) switch
        {
            2 => encoded + "==",
            3 => encoded + "=",
            _ => encoded,
        };
        try
        {
            return Capability.Parser.ParseFrom(Convert.FromBase64String(padded));
        }
        catch (Exception ex) when (ex is FormatException or InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
