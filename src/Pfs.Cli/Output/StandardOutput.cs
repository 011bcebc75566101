using Microsoft.Win32.SafeHandles;

namespace Pfs.Cli.Output;

/// <summary>
/// The process's stdout as a byte stream that notices a reader that went away. .NET's console
/// stream treats a write to a closed pipe as done (it swallows EPIPE), so <c>pfs cat big | head</c>
/// would read the whole file for nobody; this one writes to file descriptor 1 directly and turns
/// EPIPE into <see cref="ReaderGoneException"/>.
/// </summary>
internal static class StandardOutput
{
    /// <summary>The errno of a write to a pipe with no reader (Linux, macOS).</summary>
    private const int BrokenPipe = 32;

    public static Stream Open() => OperatingSystem.IsWindows()
        ? Console.OpenStandardOutput()
        : new ReaderAware(new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0));

    private sealed class ReaderAware(FileStream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => Guard(inner.Flush);

        public override Task FlushAsync(CancellationToken cancellationToken) => GuardAsync(() => inner.FlushAsync(cancellationToken));

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Guard(() => inner.Write(buffer, offset, count));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            await GuardAsync(() => inner.WriteAsync(buffer, cancellationToken).AsTask()).ConfigureAwait(false);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static bool IsBrokenPipe(IOException ex) => ex.HResult == BrokenPipe;

        private static void Guard(Action write)
        {
            try
            {
                write();
            }
            catch (IOException ex) when (IsBrokenPipe(ex))
            {
                throw new ReaderGoneException(ex);
            }
        }

        private static async Task GuardAsync(Func<Task> write)
        {
            try
            {
                await write().ConfigureAwait(false);
            }
            catch (IOException ex) when (IsBrokenPipe(ex))
            {
                throw new ReaderGoneException(ex);
            }
        }
    }
}

/// <summary>The reader of stdout went away (EPIPE): the command stops quietly, as a program killed by SIGPIPE does.</summary>
internal sealed class ReaderGoneException(IOException inner) : IOException("the reader of standard output went away", inner);
