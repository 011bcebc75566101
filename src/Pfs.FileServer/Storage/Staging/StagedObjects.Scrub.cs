using Pfs.FileServer.Storage.Sums;

namespace Pfs.FileServer.Storage.Staging;

// The scrub's reads: committed bytes checked against their sums exactly as a client's read is, so damage
// is confirmed under the gate and recorded the same way.
public sealed partial class StagedObjects
{
    /// <summary>Most bytes the scrub reads in one step.</summary>
    public const int ScrubStepBytes = 1024 * 1024;

    /// <summary>
    /// Checks the committed bytes of <paramref name="generation"/> from <paramref name="offset"/> on, one
    /// step (about <see cref="ScrubStepBytes"/>, whole blocks), as far as its bytes or its sums reach (a block
    /// with a sum and no bytes is lost). Objects without sums, and deleted ones, have nothing to check.
    /// </summary>
    /// <returns>The bytes checked, where the next step starts (null: the object is done), and the damaged blocks found.</returns>
    public async ValueTask<(long Bytes, long? Next, int Damaged)> ScrubStepAsync(ulong generation, long offset, CancellationToken cancellationToken = default)
    {
        var key = new ObjectKey("(scrub)", generation);
        if (_store.Deleted.Contains(generation))
        {
            return (0, null, 0);
        }

        var path = ObjectPath.Resolve(_store.StripesRoot, key);
        var state = await GetStateAsync(key, path, cancellationToken).ConfigureAwait(false);
        int unit;
        lock (state)
        {
            unit = state.Deleted ? 0 : state.SumUnit;
        }

        // As far as the bytes or the sums reach: blocks with a sum past the object's end were lost.
        long length;
        using (var sums = SumFile.OpenCommitted(path))
        {
            length = Math.Max(CommittedLength(path), unit == 0 || sums is null ? 0 : SumFile.EntryCount(sums) * unit);
        }

        if (unit == 0 || offset >= length)
        {
            return (0, null, 0);
        }

        var step = Math.Max(1, ScrubStepBytes / unit) * unit;
        var range = new ObjectRange(offset, (int)Math.Min(step, SumFile.BlocksOf(length - offset, unit) * unit));
        using var result = await CheckCommittedAsync(state, [range], await _store.ReadAsync(key, [range], cancellationToken).ConfigureAwait(false), unit, cancellationToken).ConfigureAwait(false);
        var read = result.Data[0].Length;
        var next = offset + range.Length;
        return (read, next < length ? next : null, result.Damaged.Count);
    }
}
