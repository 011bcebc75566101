namespace Pfs.Erasure;

/// <summary>A set of shard indices below 256, as a value usable as a dictionary key.</summary>
internal readonly record struct ShardSet(ulong Word0, ulong Word1, ulong Word2, ulong Word3)
{
    public static ShardSet FromFlags(ReadOnlySpan<bool> flags)
    {
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        for (var i = 0; i < flags.Length; i++)
        {
            if (flags[i])
            {
                words[i >> 6] |= 1UL << (i & 63);
            }
        }
        return new ShardSet(words[0], words[1], words[2], words[3]);
    }

    public bool Contains(int index)
    {
        var word = (index >> 6) switch
        {
            0 => Word0,
            1 => Word1,
            2 => Word2,
            _ => Word3,
        };
        return (word & (1UL << (index & 63))) != 0;
    }
}
