using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Hands out inode numbers from blocks the store reserves (one INCRBY per <see cref="BlockSize"/> ids),
/// so a create costs one store round trip (its MULTI/EXEC), not two. Ids of a block not handed out
/// before a restart are never used: ids only have to be unique, not dense.
/// </summary>
internal sealed class IdAllocator(IMetadataStore store)
{
    internal const int BlockSize = 64;

    private readonly Lock _gate = new();
    private ulong _next;
    private ulong _end;
    private Task? _refill;

    public async Task<ulong> NextAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task refill;
            lock (_gate)
            {
                if (_next < _end)
                {
                    return _next++;
                }

                // One refill for all who find the block empty; a failed or used-up one is replaced.
                if (_refill is null || _refill.IsCompleted)
                {
                    _refill = Task.Run(RefillAsync, CancellationToken.None);
                }

                refill = _refill;
            }

            await refill.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RefillAsync()
    {
        var first = await store.AllocateIdsAsync(BlockSize).ConfigureAwait(false);
        if (first == 0)
        {
            throw new InvalidOperationException("the metadata store handed out inode 0");
        }

        lock (_gate)
        {
            _next = first;
            _end = first + BlockSize;
        }
    }
}
