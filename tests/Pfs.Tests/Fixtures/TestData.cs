namespace Pfs.Tests.Fixtures;

public static class TestData
{
    /// <summary>Reproducible pseudo-random bytes.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reads a whole file of the given size.</summary>
    public static async Task<byte[]> ReadAllAsync(Pfs.Client.PfsFile file, long size)
    {
        var buffer = new byte[size];
        var read = await file.ReadAsync(buffer, 0);
        Assert.Equal(size, read);
        return buffer;
    }
}
