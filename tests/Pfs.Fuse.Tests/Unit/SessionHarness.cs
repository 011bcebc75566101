using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Fuse.Session;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>A session over an in-memory channel, driven by kernel-shaped byte arrays.</summary>
public abstract class SessionHarness : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private protected FakeChannel Channel { get; } = new();

    public void Dispose()
    {
        Channel.Close();
        GC.SuppressFinalize(this);
    }

    private protected FuseSession Start(FuseFileSystem fs, FuseMountOptions? options = null, bool init = true)
    {
        var session = new FuseSession(fs, Channel, options ?? new FuseMountOptions { ReaderThreads = 2 }, NullLogger.Instance);
        session.Start();
        if (init)
        {
            Channel.Push(Requests.Init());
            Assert.Equal(0, Channel.NextReply().Header.Error);
        }
        return session;
    }
}
