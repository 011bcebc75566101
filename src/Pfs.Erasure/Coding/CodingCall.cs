namespace Pfs.Erasure.Coding;

/// <summary>One <see cref="RegionCoder.Apply"/> call, waiting for its buffers to be pinned.</summary>
internal readonly unsafe struct CodingCall(
    GfKernel kernel, CodingTables tables, int rowCount, byte** inputs, byte** outputs, int length, bool accumulate)
{
    /// <summary>
    /// Pins each buffer with <c>fixed</c>, one stack frame per buffer (at most 255), writes its
    /// address to the matching slot and then runs the call. A <c>fixed</c> costs nothing like a
    /// pinned GC handle per shard (<c>Memory.Pin</c>), which matters for 512-byte blocks.
    /// The output buffers arrive as <see cref="ReadOnlyMemory{T}"/> so that inputs and outputs
    /// share one list; the callers only put writable <see cref="Memory{T}"/> in output places.
    /// </summary>
    public void PinAndRun(ReadOnlySpan<ReadOnlyMemory<byte>> buffers, byte** slots)
    {
        if (buffers.IsEmpty)
        {
            RegionCoder.Apply(kernel, tables, rowCount, inputs, outputs, length, accumulate);
            return;
        }
        fixed (byte* p = buffers[0].Span)
        {
            *slots = p;
            PinAndRun(buffers[1..], slots + 1);
        }
    }
}
