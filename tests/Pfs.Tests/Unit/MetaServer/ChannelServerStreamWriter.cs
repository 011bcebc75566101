using System.Threading.Channels;
using Grpc.Core;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>
/// A server stream that lands in a channel the test reads. It can stall after a number of writes,
/// like a client that stops reading, to fill the server's queue behind it.
/// </summary>
internal sealed class ChannelServerStreamWriter<T> : IServerStreamWriter<T>
    where T : class
{
    private readonly Channel<T> _written = Channel.CreateUnbounded<T>();
    private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writesBeforeStall = int.MaxValue;
    private int _writes;

    public WriteOptions? WriteOptions { get; set; }

    /// <summary>Let this many more writes through, then block every later one until <see cref="Resume"/>.</summary>
    public void StallAfter(int writes) => _writesBeforeStall = writes;

    public void Resume() => _resume.TrySetResult();

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public async Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _writes) > _writesBeforeStall)
        {
            await _resume.Task.WaitAsync(cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        _written.Writer.TryWrite(message);
    }

    /// <summary>The next message written, or a TimeoutException.</summary>
    public async Task<T> ReadAsync(TimeSpan timeout) =>
        await _written.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    /// <summary>A message already written and not read yet, if any.</summary>
    public bool TryRead(out T? message) => _written.Reader.TryRead(out message);
}
