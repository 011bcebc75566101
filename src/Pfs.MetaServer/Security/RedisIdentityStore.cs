using Google.Protobuf;
using Pfs.MetaServer.Persistence;
using Pfs.Protocol.Security;
using StackExchange.Redis;

namespace Pfs.MetaServer.Security;

/// <summary>Identities in one Redis hash (<c>pfs:identities</c>): field = name, value = the serialized <see cref="Identity"/>.</summary>
internal sealed class RedisIdentityStore(IConnectionMultiplexer redis, string keyPrefix = RedisMetadataStore.DefaultKeyPrefix) : IIdentityStore
{
    private readonly RedisKey _key = keyPrefix + "identities";

    public async Task<IReadOnlyList<Identity>> LoadAsync(CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(_key).ConfigureAwait(false);
        var identities = new List<Identity>(entries.Length);
        foreach (var entry in entries)
        {
            try
            {
                identities.Add(Identity.Parser.ParseFrom((byte[])entry.Value!));
            }
            catch (InvalidProtocolBufferException)
            {
                // A damaged record lets no one in; the others still load.
            }
        }

        return identities;
    }

    public Task<bool> AddAsync(Identity identity, CancellationToken cancellationToken) =>
        redis.GetDatabase().HashSetAsync(_key, identity.Name, identity.ToByteArray(), When.NotExists);

    public Task<bool> RemoveAsync(string name, CancellationToken cancellationToken) =>
        redis.GetDatabase().HashDeleteAsync(_key, name);
}
