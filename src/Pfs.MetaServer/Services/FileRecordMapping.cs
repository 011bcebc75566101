using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;
using MetaFileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.MetaServer.Services;

/// <summary>From stored records to wire messages.</summary>
internal static class FileRecordMapping
{
    public static MetaFileInfo ToFileInfo(this FileRecord record) => new()
    {
        Name = record.Name,
        FileId = record.FileId,
        Size = record.Size,
        CreatedUnixMs = record.Created.ToUnixTimeMilliseconds(),
        ModifiedUnixMs = record.Modified.ToUnixTimeMilliseconds(),
        Recipe = new StripeRecipe
        {
            BlockSize = record.BlockSize,
            StripeWidth = record.StripeWidth,
            Servers = { record.Servers },
        },
        Version = record.Version,
    };
}
