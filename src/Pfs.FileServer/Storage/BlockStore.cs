using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>
/// The committed bytes of stripe objects, as plain files under <c>&lt;data-dir&gt;/stripes</c> (see
/// <see cref="ObjectPath"/>; a data directory in the v1 layout is moved there first by
/// <see cref="LayoutMigration"/>). Nothing
/// here writes an object: writers' bytes reach it only through a stage (see
/// <see cref="Staging.StagedObjects"/>). Every call opens its own handle and uses positional I/O, so
/// calls on different objects never wait for each other.
/// </summary>
public sealed class BlockStore
{
    /// <summary>Largest object: no byte at or past this offset is read or written (the client checks the same).</summary>
    public const long MaxObjectBytes = PfsLimits.MaxObjectBytes;

    /// <summary>
    /// Most bytes one read may ask for, summed over its ranges: one block of the largest size, which a
    /// client reads in a call of its own. The gRPC message limit leaves room for that plus framing.
    /// </summary>
    public const int MaxReadBytes = PfsLimits.MaxReadBytesPerCall;

    private readonly ILogger<BlockStore> _logger;

    /// <summary>
    /// Opens (creating if needed) the store in <paramref name="dataDirectory"/>, moving objects a v1
    /// server left in it into their places first. Staged files send their dirty pages to the disk every
    /// <paramref name="writebackBytes"/> written (0: never before their flush; see <see cref="EagerWriteback"/>).
    /// </summary>
    public BlockStore(string dataDirectory, ILogger<BlockStore> logger, bool syncWrites = false, long writebackBytes = EagerWriteback.DefaultEveryBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentNullException.ThrowIfNull(logger);
        DataDirectory = Path.GetFullPath(dataDirectory);
        StripesRoot = Path.Join(DataDirectory, "stripes");
        _logger = logger;
        SyncWrites = syncWrites;
        ArgumentOutOfRangeException.ThrowIfNegative(writebackBytes);
        WritebackBytes = writebackBytes;
        Directory.CreateDirectory(StripesRoot);
        LayoutMigration.Run(DataDirectory, StripesRoot, logger);
        Deleted = new DeletedGenerations(DataDirectory);
        Damage = new Sums.DamagedBlocks(DataDirectory);
    }

    /// <summary>Which file system holds the data directory (see <see cref="DiskIdentity"/>); read once.</summary>
    public string Disk => _disk ??= DiskIdentity.Of(DataDirectory);

    private string? _disk;

    /// <summary>The damaged blocks found here and not rewritten since (for ListDamage).</summary>
    public Sums.DamagedBlocks Damage { get; }

    /// <summary>True when every write is flushed to stable storage before it is acknowledged.</summary>
    public bool SyncWrites { get; }

    /// <summary>Bytes written to a staged file between two submissions of its dirty pages to the disk; 0 for none.</summary>
    public long WritebackBytes { get; }

    /// <summary>The data directory as a full path.</summary>
    public string DataDirectory { get; }

    /// <summary>The generations deleted here, for good.</summary>
    internal DeletedGenerations Deleted { get; }

    /// <summary>The directory that holds the objects, in 256 subdirectories by their generation's last two hex digits.</summary>
    public string StripesRoot { get; }

    /// <summary>
    /// Reads <paramref name="ranges"/> of an object. A range past the end comes back short or empty and a
    /// missing object reads as empty. Dispose the result once its bytes have been sent.
    /// </summary>
    public async ValueTask<ObjectReadResult> ReadAsync(ObjectKey key, IReadOnlyList<ObjectRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var path = ObjectPath.Resolve(StripesRoot, key);
        ObjectRequests.ValidateRanges(ranges);

        SafeFileHandle handle;
        try
        {
            handle = ObjectFiles.OpenExisting(path.File, FileAccess.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ObjectReadResult.Empty(ranges.Count);
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "read", key, ex);
        }

        using (handle)
        {
            byte[]? buffer = null;
            try
            {
                var length = RandomAccess.GetLength(handle);

                // Size the buffer by what exists, never by what was asked for: a client claiming a huge
                // length on a small object costs nothing.
                long total = 0;
                foreach (var range in ranges)
                {
                    total += Available(range, length);
                }

                buffer = total == 0 ? null : ArrayPool<byte>.Shared.Rent((int)total);
                var data = new ReadOnlyMemory<byte>[ranges.Count];
                var position = 0;
                for (var i = 0; i < ranges.Count; i++)
                {
                    var wanted = Available(ranges[i], length);
                    var got = wanted == 0 ? 0 : await ObjectFiles.ReadFullyAsync(handle, buffer.AsMemory(position, wanted), ranges[i].Offset, cancellationToken).ConfigureAwait(false);
                    data[i] = got == 0 ? ReadOnlyMemory<byte>.Empty : buffer.AsMemory(position, got);
                    position += got;
                }

                var result = new ObjectReadResult(buffer, data);
                buffer = null;
                return result;
            }
            catch (Exception ex) when (IoErrors.IsIo(ex))
            {
                throw IoErrors.Failure(_logger, "read", key, ex);
            }
            finally
            {
                if (buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>Throws <see cref="BlockStoreException"/> (InvalidArgument) if <paramref name="key"/> cannot name an object (generation 0).</summary>
    public void Validate(ObjectKey key) => _ = ObjectPath.Resolve(StripesRoot, key);

    /// <summary>
    /// Removes an object; removing a missing object succeeds. Files kept beside the object (a stage,
    /// epoch marks) are their owner's to remove first. The 256 directories stay.
    /// </summary>
    /// <returns>Whether the object existed.</returns>
    public bool Delete(ObjectKey key)
    {
        var path = ObjectPath.Resolve(StripesRoot, key);
        bool existed;
        try
        {
            // Exists-then-delete can report true to two racing deletes; the answer is informational only.
            existed = File.Exists(path.File);
            if (existed)
            {
                File.Delete(path.File);
            }
        }
        catch (Exception ex) when (IoErrors.IsIo(ex))
        {
            throw IoErrors.Failure(_logger, "delete", key, ex);
        }

        return existed;
    }

    // What a range can actually return: the part of it below the end of the file.
    private static int Available(ObjectRange range, long fileLength) =>
        (int)Math.Clamp(Math.Min(range.Length, fileLength - range.Offset), 0, range.Length);
}
