using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Pfs.ServiceDefaults.Connections;

/// <summary>
/// A connection middleware that closes a connection which has not sent the HTTP/2 client preface
/// and one frame header within the handshake timeout: a peer that connects and then says nothing
/// (or only the preface) holds a connection slot for seconds, not for the idle timeout.
/// </summary>
/// <remarks>
/// Kestrel's own timeouts cover TLS handshakes and idle connections; for cleartext HTTP/2 the
/// first bytes are watched here, on the transport's input, before Kestrel parses them.
/// </remarks>
internal static class HandshakeGuard
{
    /// <summary>The client preface (24 bytes) and one frame header (9 bytes): the shortest real start.</summary>
    internal const int HandshakeBytes = 24 + 9;

    public static ConnectionDelegate Wrap(ConnectionDelegate next, TimeSpan timeout) => async connection =>
    {
        var watcher = new WatchingReader(connection.Transport.Input, HandshakeBytes);
        var transport = connection.Transport;
        connection.Transport = new Duplex(watcher, transport.Output);
        using var timer = new Timer(
            static state =>
            {
                var (watching, context) = ((WatchingReader, ConnectionContext))state!;
                if (!watching.Seen)
                {
                    context.Abort(new ConnectionAbortedException("no HTTP/2 handshake within the handshake timeout"));
                }
            },
            (watcher, connection),
            timeout,
            Timeout.InfiniteTimeSpan);
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = transport;
        }
    };

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes every read through and notes when the input received so far first reached <c>needed</c> bytes.</summary>
    private sealed class WatchingReader(PipeReader inner, int needed) : PipeReader
    {
        private volatile bool _seen;
        private long _consumed;
        private System.Buffers.ReadOnlySequence<byte> _last;

        public bool Seen => _seen;

        public override void AdvanceTo(SequencePosition consumed)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed);
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            Note(result);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Note(result);
            return true;
        }

        private void Note(ReadResult result)
        {
            if (!_seen)
            {
                _last = result.Buffer;
                _seen = _consumed + result.Buffer.Length >= needed;
            }
        }

        private void Consumed(SequencePosition consumed)
        {
            if (!_seen)
            {
                _consumed += _last.Slice(0, consumed).Length;
                _last = default;
            }
        }
    }
}
