using Microsoft.Extensions.Logging;

namespace Pfs.ServiceDefaults.Security;

/// <summary>What a server says about how it is exposed (event ids 200-209).</summary>
public static partial class SecurityLog
{
    /// <summary>The logger category, so an operator can raise or lower these lines alone.</summary>
    public const string Category = "Pfs.Security";

    [LoggerMessage(EventId = 200, EventName = "ListenExposure", Message = "{Message}")]
    public static partial void Listening(ILogger logger, LogLevel level, string message);

    [LoggerMessage(EventId = 201, EventName = "CertificateValidity", Message = "{Message}")]
    public static partial void CertificateValidity(ILogger logger, LogLevel level, string message);
}
