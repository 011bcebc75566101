using Pfs.Client.Transport;

namespace Pfs.Client.Striping;

/// <summary>Reads of files with parity: data shards where they can be had, decoded from any K otherwise.</summary>
internal sealed partial class ErasureTransport
{
    /// <summary>
    /// Reads whole data blocks as <see cref="BlockTransport.ReadAsync"/> does. <paramref name="onCall"/>
    /// gets calls whose runs are one block each (so a run's first block is the block).
    /// </summary>
    public async Task ReadAsync(FileLayout layout, IReadOnlyList<long> blocks,
                                Action<ServerCall, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken)
    {
        var width = layout.Width;
        var byPosition = new List<long>?[layout.Positions];
        var degraded = new List<long>();
        foreach (var block in blocks)
        {
            var position = ErasureMath.PositionOfBlock(block, width, layout.Positions);
            if (!layout.IsUsable(position) || layout.Servers[position].IsDown)
            {
                degraded.Add(block);
            }
            else
            {
                (byPosition[position] ??= []).Add(block);
            }
        }

        if (degraded.Count > 0)
        {
            TakeDecodedStripes(byPosition, degraded, width);
        }

        var perCall = Math.Max(1, options.MaxCallBytes / layout.BlockSize);
        var reads = new List<Task>();
        for (var position = 0; position < layout.Positions; position++)
        {
            if (byPosition[position] is not { } list)
            {
                continue;
            }

            for (var at = 0; at < list.Count; at += perCall)
            {
                reads.Add(ReadHedgedAsync(layout, position, Slice(list, at, Math.Min(perCall, list.Count - at)), onCall, cancellationToken));
            }
        }

        if (degraded.Count > 0)
        {
            reads.Add(DecodeAsync(layout, degraded, excluded: -1, onCall, cancellationToken));
        }

        await Task.WhenAll(reads).ConfigureAwait(false);
    }

    // A stripe that is decoded anyway reads its surviving data shards among its K: the other blocks of
    // that stripe come from the decode too, rather than a second time from their own servers (which made
    // a read with one server down fetch 1.5 times the file).
    private static void TakeDecodedStripes(List<long>?[] byPosition, List<long> degraded, int width)
    {
        var decoded = new HashSet<long>();
        foreach (var block in degraded)
        {
            decoded.Add(ErasureMath.StripeOf(block, width));
        }

        for (var position = 0; position < byPosition.Length; position++)
        {
            if (byPosition[position] is not { } list)
            {
                continue;
            }

            foreach (var block in list)
            {
                if (decoded.Contains(ErasureMath.StripeOf(block, width)))
                {
                    degraded.Add(block);
                }
            }

            list.RemoveAll(block => decoded.Contains(ErasureMath.StripeOf(block, width)));
            if (list.Count == 0)
            {
                byPosition[position] = null;
            }
        }
    }

    // Reads blocks that all live on `position` from it; if it fails, or has not answered within the
    // hedging delay, decodes them from the other positions as well, and the first answer is delivered.
    private async Task ReadHedgedAsync(FileLayout layout, int position, List<long> blocks,
                                       Action<ServerCall, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken)
    {
        var delivered = 0;
        void DeliverOnce(ServerCall call, IReadOnlyList<ReadOnlyMemory<byte>> data)
        {
            if (Interlocked.CompareExchange(ref delivered, 1, 0) == 0)
            {
                onCall(call, data);
            }
        }

        using var hedge = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stripes = blocks.ConvertAll(block => ErasureMath.StripeOf(block, layout.Width));
        var primary = ReadShardsAsync(layout, position, stripes, (_, shards) => DeliverOnce(CallOf(position, blocks), shards), hedge.Token);
        var delay = Task.Delay(options.ReadHedgeDelay, hedge.Token);
        if (await Task.WhenAny(primary, delay).ConfigureAwait(false) == primary)
        {
            await hedge.CancelAsync().ConfigureAwait(false);
            if (primary.IsCompletedSuccessfully)
            {
                return;
            }

            var failure = primary.Exception?.GetBaseException();
            if (failure is null || !IsErasure(failure))
            {
                await primary.ConfigureAwait(false);
                return;
            }

            layout.Servers[position].MarkDown();
            await DecodeAsync(layout, blocks, position, DeliverOnce, cancellationToken).ConfigureAwait(false);
            return;
        }

        var secondary = DecodeAsync(layout, blocks, position, DeliverOnce, hedge.Token);
        try
        {
            var first = await Task.WhenAny(primary, secondary).ConfigureAwait(false);
            if (first.IsCompletedSuccessfully)
            {
                return;
            }

            try
            {
                await (first == primary ? secondary : primary).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsErasure(ex))
            {
                // Neither delivered.
            }

            if (secondary.Exception?.GetBaseException() is PfsException decode)
            {
                // The decode's failure names the file, the stripe and every position out of reach (this one's among
                // them), where the primary's names only its server.
                throw decode;
            }

            await primary.ConfigureAwait(false);
        }
        finally
        {
            if (primary.IsFaulted && primary.Exception?.GetBaseException() is { } failure && IsErasure(failure))
            {
                layout.Servers[position].MarkDown();
            }

            // The slower of the two lost the race: stop it, and its outcome does not matter.
            await hedge.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(primary, secondary).ContinueWith(_ => { }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    // Reads blocks by decoding their stripes from K shards each, never from `excluded` (or an unusable
    // or failing position). Stripes go in batches so a large read holds a bounded set of buffers.
    private async Task DecodeAsync(FileLayout layout, List<long> blocks, int excluded,
                                   Action<ServerCall, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken)
    {
        var width = layout.Width;
        var byStripe = blocks.GroupBy(block => ErasureMath.StripeOf(block, width)).OrderBy(g => g.Key).ToList();
        var batch = Math.Max(1, (int)Math.Min(int.MaxValue, (long)options.MaxConcurrentCalls * options.MaxCallBytes / ((long)layout.Positions * layout.BlockSize)));
        for (var at = 0; at < byStripe.Count; at += batch)
        {
            var group = byStripe.Skip(at).Take(batch).ToList();
            var stripes = group.ConvertAll(g => g.Key);
            using var shards = await ReadStripesAsync(layout, stripes, excluded, cancellationToken).ConfigureAwait(false);
            var call = new ServerCall(excluded < 0 ? 0 : excluded);
            var data = new List<ReadOnlyMemory<byte>>();
            for (var s = 0; s < group.Count; s++)
            {
                shards.DecodeData(s);
                foreach (var block in group[s])
                {
                    call.Runs.Add(new BlockRun(block, 1));
                    call.BlockCount++;
                    data.Add(shards.Buffer(s, (int)(block % width)));
                }
            }

            onCall(call, data);
        }
    }

    /// <summary>
    /// Reads at least K shards of every stripe of <paramref name="stripes"/> (ascending), data shards first,
    /// skipping <paramref name="excluded"/> and the positions this open may not read; a position that fails
    /// is replaced by another. Throws if some stripe cannot get K. <paramref name="checkShort"/> false takes short
    /// shards as they come (a check of another position's short shard reads this way, so it never recurses).
    /// </summary>
    internal async Task<StripeShards> ReadStripesAsync(FileLayout layout, IReadOnlyList<long> stripes, int excluded, CancellationToken cancellationToken,
                                                       bool checkShort = true)
    {
        var positions = layout.Positions;
        var shards = new StripeShards(layout, stripes);
        var failed = new bool[positions];
        var why = new string?[positions];
        try
        {
            var tried = new bool[stripes.Count, positions];
            if (excluded >= 0)
            {
                failed[excluded] = true;
                why[excluded] = "slow or failing";
            }

            // A server that failed lately is a last resort, not ruled out: it may be back, or only was slow.
            var down = new bool[positions];
            for (var position = 0; position < positions; position++)
            {
                if (!failed[position] && !layout.IsUsable(position))
                {
                    failed[position] = true;
                    why[position] = "stale";
                }

                down[position] = layout.Servers[position].IsDown;
            }

            while (true)
            {
                // Per position, the stripes to read from it this round.
                var plan = new List<long>?[positions];
                var planned = false;
                for (var s = 0; s < stripes.Count; s++)
                {
                    var needed = layout.Width - shards.PresentCount(s);
                    for (var pass = 0; pass < 2 && needed > 0; pass++)
                    {
                        for (var shard = 0; shard < positions && needed > 0; shard++)
                        {
                            var position = ErasureMath.PositionOf(stripes[s], shard, positions);
                            if (failed[position] || tried[s, position] || (pass == 0 && down[position]))
                            {
                                continue;
                            }

                            tried[s, position] = true;
                            (plan[position] ??= []).Add(stripes[s]);
                            needed--;
                            planned = true;
                        }
                    }

                    if (needed > 0)
                    {
                        var lost = Enumerable.Range(0, positions).Count(p => !layout.IsUsable(p));
                        throw new PfsException(lost > layout.Parity ? PfsErrorCode.DataLoss : PfsErrorCode.Unavailable,
                            $"'{layout.Name}': stripe {stripes[s]} (byte offset {stripes[s] * layout.Width * layout.BlockSize}) has fewer than {layout.Width} " +
                            $"of its {positions} shards within reach ({string.Join(", ", Enumerable.Range(0, positions).Where(p => failed[p]).Select(p => $"position {p} {why[p]}"))})");
                    }
                }

                if (!planned)
                {
                    return shards;
                }

                var reads = new List<Task>();
                for (var position = 0; position < positions; position++)
                {
                    if (plan[position] is { } list)
                    {
                        var at = position;
                        reads.Add(ReadIntoAsync(at, list));
                    }
                }

                await Task.WhenAll(reads).ConfigureAwait(false);
            }
        }
        catch
        {
            shards.Dispose();
            throw;
        }

        async Task ReadIntoAsync(int position, List<long> list)
        {
            try
            {
                await ReadShardsAsync(layout, position, list, (callStripes, data) =>
                {
                    for (var i = 0; i < callStripes.Count; i++)
                    {
                        shards.Put(callStripes[i], position, data[i].Span);
                    }
                }, cancellationToken, checkShort).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsErasure(ex) && !cancellationToken.IsCancellationRequested)
            {
                layout.Servers[position].MarkDown();
                // The stripes planned here get another position next round.
                failed[position] = true;
                why[position] = ex.Message;
                shards.Drop(list, position);
            }
        }
    }

    private static ServerCall CallOf(int position, List<long> blocks)
    {
        var call = new ServerCall(position);
        foreach (var block in blocks)
        {
            call.Runs.Add(new BlockRun(block, 1));
        }

        call.BlockCount = blocks.Count;
        return call;
    }
}
