using System.Runtime.InteropServices;
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

    public static Stream Open()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!stream.CanSeek)
        {
            return new ReaderAware(stream);
        }

        // A regular file (`pfs cat a > out`): FileStream writes a seekable file at a position of its own (pwrite) and
        // leaves the descriptor's offset where it was, so the next writer to the descriptor (`{ pfs cat a; pfs cat b; } > out`,
        // `cmd > log 2>&1`) would write over this output. write(2) writes at the shared offset and moves it on, as cat does.
        stream.Dispose();
        return new ReaderAware(new DescriptorWriter(1));
    }

    private sealed class ReaderAware(Stream inner) : Stream
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

/// <summary>
/// Writes to a file descriptor with write(2), at its shared offset (which FileStream does not use for a seekable file).
/// Blocking, as a console write is; used for a regular file, which never answers EAGAIN.
/// </summary>
internal sealed partial class DescriptorWriter(int descriptor) : Stream
{
    private const int Interrupted = 4;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var written = WriteCall(descriptor, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (written < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == Interrupted)
                {
                    continue;
                }

                throw new IOException($"writing standard output: {Marshal.GetPInvokeErrorMessage(error)}", error);
            }

            buffer = buffer[(int)written..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteCall(int descriptor, ref byte buffer, nint count);
}

/// <summary>The reader of stdout went away (EPIPE): the command stops quietly, as a program killed by SIGPIPE does.</summary>
internal sealed class ReaderGoneException(IOException inner) : IOException("the reader of standard output went away", inner);
