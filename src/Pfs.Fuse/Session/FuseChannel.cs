namespace Pfs.Fuse.Session;

/// <summary>
/// The two directions of a FUSE connection: blocking reads of whole requests and writes of whole
/// replies. /dev/fuse in production (<see cref="Native.DeviceChannel"/>); a queue in unit tests.
/// </summary>
internal abstract class FuseChannel : IDisposable
{
    /// <summary>Blocks until one request is read into <paramref name="buffer"/>; answers its length or a negative errno (ENODEV or ECONNABORTED once the session is over).</summary>
    public abstract int Read(Span<byte> buffer);

    /// <summary>Writes one reply or notification in one call; answers 0 or a positive errno.</summary>
    public abstract int Write(ReadOnlySpan<byte> message);

    /// <summary>Releases the connection.</summary>
    public abstract void Dispose();
}
