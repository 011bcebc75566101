using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;
using Pfs.Client.Transport;
using Pfs.Protocol;

namespace Pfs.Client;

/// <summary>A writer's truncate and extend, published at its close like its writes.</summary>
public sealed partial class PfsFile
{
    // This open changed the length: its close sends the exact size, and every server of the stripe
    // (each staged a cut) as written.
    private bool _lengthSet;
    // A cut that may not have reached every server: sent again before this open's next write,
    // length change or close, so it stays ordered before them.
    private long? _unsentCut;

    /// <summary>
    /// Cuts the file to <paramref name="length"/> bytes or extends it with zeros. Like writes, it is
    /// this open's view at once (reads, <see cref="StatAsync"/>) and everyone's at the close, which
    /// publishes the exact size and makes other clients drop the blocks it changed. Bytes cut off
    /// read as zeros if the file grows again. Throws <see cref="PfsErrorCode.WrongMode"/> on a file
    /// opened for reading, and <see cref="PfsErrorCode.InvalidArgument"/> for a negative length. If
    /// it fails reaching a file server, this open keeps the new length and sends the cut again
    /// before its next write, length change or close.
    /// </summary>
    public async Task SetLengthAsync(long length, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_mode != PfsOpenMode.Write)
        {
            throw new PfsException(PfsErrorCode.WrongMode, $"'{Name}' is open for reading; open it with PfsOpenMode.Write to change its length");
        }

        if (length < 0)
        {
            throw PfsErrors.InvalidArgument($"length {length} must not be negative");
        }

        if (length > 0 && StripeMath.LocalOffset((length - 1) / _layout.BlockSize, _layout.Width, _layout.BlockSize) > PfsLimits.MaxObjectBytes - _layout.BlockSize)
        {
            throw PfsErrors.InvalidArgument($"a length of {length} bytes is past the largest size a file of stripe width {_layout.Width} can have");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            using var activity = PfsTelemetry.Source.StartActivity("pfs.setlength");
            activity?.SetTag("pfs.file", Name);
            activity?.SetTag("pfs.length", length);
            await SendUnsentCutAsync(cancellationToken).ConfigureAwait(false);
            var old = Size;
            if (length == old)
            {
                return;
            }

            await _writer.CutCachedAsync(length, cancellationToken).ConfigureAwait(false);

            // The cache is cut: from here on this open's view is the new length, whatever the servers answer.
            var blockSize = _layout.BlockSize;
            var first = Math.Min(old, length) / blockSize;
            var last = (Math.Max(old, length) - 1) / blockSize;
            _dirtied.Add(first, last - first + 1);
            Interlocked.Exchange(ref _size, length);
            _lengthSet = true;
            _unsentCut = length;
            if (length == 0)
            {
                _layout.MarkEmptied();
            }

            await SendUnsentCutAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Called under the gate, before anything of this open can reach a file server after a cut.
    private async Task SendUnsentCutAsync(CancellationToken cancellationToken)
    {
        if (_unsentCut is { } length)
        {
            await _writer.SendCutAsync(length, cancellationToken).ConfigureAwait(false);
            _unsentCut = null;
        }
    }

    // Every server that got any of this open's blocks or cuts: the close flushes and commits them.
    // With parity: the positions that got shards or cuts and were not missed (the transport knows).
    private IEnumerable<int> WrittenServers() =>
        _layout.Parity > 0 ? _layout.WrittenPositions() : _lengthSet ? Enumerable.Range(0, _layout.Width) : DirtiedServers();
}
