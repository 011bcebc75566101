using System.Diagnostics;

namespace Pfs.Client;

/// <summary>
/// A writer of a file with parity heals the positions its own writes missed once their servers are back
/// (<see cref="Striping.ErasureTransport.HealAsync"/>): the client's background loop tries about once a
/// second while the file is open, and the close tries once more before it commits. An open that outlives
/// the failure of one server, and later of another, so keeps within M missed positions and closes.
/// </summary>
public sealed partial class PfsFile
{
    private static readonly long HealPauseTicks = Stopwatch.Frequency;
    private Task _heal = Task.CompletedTask;
    private long _nextHealAt;

    /// <summary>From the client's background loop (one caller at a time): starts a heal if one is due.</summary>
    internal void HealInBackground(CancellationToken stopping)
    {
        if (_mode != PfsOpenMode.Write || _layout.Parity == 0 || !_heal.IsCompleted || Volatile.Read(ref _closed) != 0
            || Stopwatch.GetTimestamp() < _nextHealAt || _layout.MissedPositions().Count == 0)
        {
            return;
        }

        _nextHealAt = Stopwatch.GetTimestamp() + HealPauseTicks;
        _heal = Task.Run(() => HealAsync(stopping), CancellationToken.None);
    }

    /// <summary>Heals what can be healed now; a failure is logged and leaves the positions missed.</summary>
    private async Task HealAsync(CancellationToken cancellationToken)
    {
        try
        {
            var healed = await _client.Transport.Erasure.HealAsync(_layout, cancellationToken).ConfigureAwait(false);
            if (healed.Count > 0)
            {
                Log.PositionsHealed(_client.Logger, Name, string.Join(' ', healed));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException)
        {
            Log.HealFailed(_client.Logger, Name, ex.Message);
        }
    }

    /// <summary>At the close, before the flush: one more heal (bounded by the operation timeout), then no more.</summary>
    private async Task HealBeforeCloseAsync()
    {
        if (_layout.Parity == 0)
        {
            return;
        }

        if (_layout.MissedPositions().Count > 0)
        {
            using var timeout = new CancellationTokenSource(_client.Options.OperationTimeout);
            await HealAsync(timeout.Token).ConfigureAwait(false);
        }
    }
}
