using CsCheck;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.MetaServer.Security;
using Pfs.Protocol;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Hostile;

/// <summary>
/// Authentication and scopes under attack (CsCheck generates the attacks from genuine statements
/// and tokens, so most are one flipped bit or one changed field away from valid): every login
/// statement and session token that is not exactly what the cluster issued, fresh and unused, is
/// PermissionDenied, never Internal or a hang; every path a scoped identity names that leads out of
/// its scope (by name, `..`, a base inode, a symbolic link, a rename or a hard link) fails, and
/// nothing outside the scope changes; and honest clients are served throughout.
/// </summary>
public sealed class HostileAuthenticationTests : IAsyncLifetime
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(10);

    // Answers that name what went wrong; Internal, Unknown or a deadline are failures of the server.
    private static readonly StatusCode[] Precise =
    [
        StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.AlreadyExists,
        StatusCode.PermissionDenied, StatusCode.FailedPrecondition, StatusCode.OutOfRange,
    ];

    private static readonly string[] Components = ["alice", "alicex", "bob", "secret", "own", "sub", "out", "x", "..", "."];

    private readonly List<ClientKey> _keys = [];
    private PfsCluster _cluster = null!;
    private GrpcChannel _channel = null!;
    private byte[] _adminKey = null!;
    private ClientKey _alice = null!;
    private ClientKey _bob = null!;
    private ClientKey _carol = null!;
    private ClientKey _root = null!;
    private Identity _aliceIdentity = null!;
    private Identity _carolIdentity = null!;
    private byte[] _aliceToken = null!;
    private byte[] _bobToken = null!;
    private byte[] _rootToken = null!;

    private AuthService.AuthServiceClient Auth => new(_channel);

    private MetaService.MetaServiceClient Meta => new(_channel);

    public async Task InitializeAsync()
    {
        // Required: not even a caller with no token at all gets in; no slow-down, so hundreds of failures take no time.
        _cluster = await PfsCluster.StartAsync(fileServers: 1, configureMeta: builder => builder.Configuration.AddInMemoryCollection(
            [new("Pfs:FailureDelaySeconds", "0"), new("Pfs:Authentication", "Required")]));
        _channel = GrpcChannel.ForAddress(_cluster.MetaServerAddress);
        _adminKey = new CapabilitySigner(Convert.FromBase64String(_cluster.ClusterKey)).DeriveKey(IdentityProof.AdminPurpose);
        _root = NewKey("root");
        _alice = NewKey("alice");
        _bob = NewKey("bob");
        _carol = NewKey("carol");
        await AddIdentityAsync(_root, "/");
        _aliceIdentity = await AddIdentityAsync(_alice, "/alice");
        await AddIdentityAsync(_bob, "/bob");
        _carolIdentity = await AddIdentityAsync(_carol, "/");
        _rootToken = await TokenAsync(_root);
        _aliceToken = await TokenAsync(_alice);
        _bobToken = await TokenAsync(_bob);
        var revoke = new RevokeIdentityRequest { Name = "carol" };
        Assert.True((await Auth.RevokeIdentityAsync(revoke, AdminHeaders("RevokeIdentity", revoke))).Revoked);

        // The namespace: two scopes, a sibling whose name starts like one of them, something to steal.
        var asRoot = As(_rootToken);
        foreach (var directory in new[] { "alice", "alicex", "bob", "alice/sub" })
        {
            await Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = directory }, asRoot);
        }

        await Meta.CreateAsync(new CreateRequest { Name = "bob/secret", StripeWidth = 1 }, asRoot);
        await Meta.CreateAsync(new CreateRequest { Name = "alicex/f", StripeWidth = 1 }, asRoot);
        await Meta.CreateAsync(new CreateRequest { Name = "alice/own", StripeWidth = 1 }, As(_aliceToken));
        // A link inside alice's scope that names bob's directory: text, never followed.
        await Meta.SymlinkAsync(new SymlinkRequest { Path = "alice/out", Target = "/bob" }, As(_aliceToken));
    }

    public async Task DisposeAsync()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        _channel.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task EveryGarbledExpiredReplayedOrBorrowedLoginStatementIsRefused()
    {
        var used = _alice.Prove(Now());
        await Auth.AuthenticateAsync(used);
        using var bobAsAlice = Borrow(_bob, "alice");
        using var mallory = ClientKey.Create("mallory");
        var gen = Gen.Select(Gen.Int[0, 12], Gen.Long[0, long.MaxValue], Gen.Byte.Array[0, 80]);

        await gen.SampleAsync(async (kind, number, bytes) =>
        {
            var statement = _alice.Prove(Now());
            switch (kind)
            {
                case 0:
                    // Garbage in every field.
                    statement = new AuthenticateRequest
                    {
                        Identity = Components[number % Components.Length] + (number % 3 == 0 ? string.Empty : "\0x"),
                        UnixMs = number - (long.MaxValue / 2),
                        Nonce = ByteString.CopyFrom(bytes.AsSpan(0, Math.Min(bytes.Length, 16))),
                        Signature = ByteString.CopyFrom(bytes),
                    };
                    break;
                case 1:
                    statement.Nonce = ByteString.CopyFrom(statement.Nonce.Span[..(int)(number % IdentityProof.NonceBytes)]);
                    break;
                case 2:
                    statement.Signature = ByteString.CopyFrom(statement.Signature.Span[..(int)(number % statement.Signature.Length)]);
                    break;
                case 3:
                    statement.Signature = FlipBit(statement.Signature, number);
                    break;
                case 4:
                    statement.Nonce = FlipBit(statement.Nonce, number);
                    break;
                case 5:
                    statement.UnixMs += (number % 2 == 0 ? 1 : -1) * (1 + (number % 1000));
                    break;
                case 6:
                    // Alice's genuine signature, claimed for bob or root.
                    statement.Identity = number % 2 == 0 ? "bob" : "root";
                    break;
                case 7:
                    // Bob's key, signing as alice: another client's key.
                    statement = bobAsAlice.Prove(Now());
                    break;
                case 8:
                    // Genuinely signed, but made more than a minute before or after the server's clock.
                    var skew = 61_000 + (number % 86_400_000);
                    statement = _alice.Prove(Now() + (number % 2 == 0 ? skew : -skew));
                    break;
                case 9:
                    statement = _alice.Prove(number % 2 == 0 ? long.MinValue : long.MaxValue);
                    break;
                case 10:
                    // A replay: of the one used at the start, or of one that just worked.
                    if (number % 2 == 0)
                    {
                        await Auth.AuthenticateAsync(statement, deadline: Soon());
                    }
                    else
                    {
                        statement = used;
                    }

                    break;
                case 11:
                    statement = (number % 2 == 0 ? mallory : _carol).Prove(Now());
                    break;
                default:
                    statement.Signature = ByteString.CopyFrom(bytes.Concat(new byte[64]).Take(64).ToArray());
                    break;
            }

            await AssertRefusedAsync(() => Auth.AuthenticateAsync(statement, deadline: Soon()).ResponseAsync, $"statement kind {kind}");
        }, iter: 300, threads: 1);

        await AssertHonestClientsServedAsync();
    }

    [Fact]
    public async Task EveryForgedDamagedExpiredOrForeignSessionTokenIsRefused()
    {
        var aliceTokens = new SessionTokens(new CapabilitySigner(Convert.FromBase64String(_cluster.ClusterKey)), TimeProvider.System);
        var otherCluster = new SessionTokens(new CapabilitySigner(Convert.FromBase64String(CapabilitySigner.NewKey())), TimeProvider.System);
        var genuine = SessionToken.Parser.ParseFrom(_aliceToken);
        var gen = Gen.Select(Gen.Int[0, 11], Gen.Long[0, long.MaxValue], Gen.Byte.Array[0, 300]);

        await gen.SampleAsync(async (kind, number, bytes) =>
        {
            var token = genuine.Clone();
            byte[] header;
            switch (kind)
            {
                case 0:
                    header = bytes;
                    break;
                case 1:
                    // Longer than any token: refused before it is parsed.
                    header = [.. Enumerable.Repeat(bytes, 5).SelectMany(b => b), .. new byte[1025]];
                    break;
                case 2:
                    header = _aliceToken[..(int)(number % _aliceToken.Length)];
                    break;
                case 3:
                    header = FlipBit(ByteString.CopyFrom(_aliceToken), number).ToByteArray();
                    break;
                case 4:
                    // Alice's MAC on another name.
                    token.Identity = number % 2 == 0 ? "root" : "bob";
                    header = token.ToByteArray();
                    break;
                case 5:
                    token.ExpiresUnixMs += 1 + (number % 86_400_000);
                    header = token.ToByteArray();
                    break;
                case 6:
                    // Signed by this cluster's key, but expired.
                    var issued = DateTimeOffset.UtcNow - SessionTokens.Lifetime - TimeSpan.FromMilliseconds(1 + (number % 86_400_000));
                    header = new SessionTokens(new CapabilitySigner(Convert.FromBase64String(_cluster.ClusterKey)), new FixedTime(issued))
                        .Issue(_aliceIdentity).ToByteArray();
                    break;
                case 7:
                    // Signed by this cluster's key for alice's name, with a serial that is not hers (a revoked and re-added identity).
                    header = aliceTokens.Issue(new Identity { Name = "alice", Serial = _aliceIdentity.Serial ^ (ulong)(number | 1) }).ToByteArray();
                    break;
                case 8:
                    // Signed by this cluster's key: for the revoked carol, or for a name that never existed.
                    header = aliceTokens.Issue(number % 2 == 0 ? _carolIdentity : new Identity { Name = "mallory", Serial = (ulong)number }).ToByteArray();
                    break;
                case 9:
                    header = otherCluster.Issue(_aliceIdentity).ToByteArray();
                    break;
                case 10:
                    // Bob's genuine token, used on alice's files: another client's, and outside its scope.
                    header = _bobToken;
                    break;
                default:
                    // Alice's token with a MAC of chance bytes, of any length.
                    token.Mac = ByteString.CopyFrom(bytes.AsSpan(0, Math.Min(bytes.Length, (int)(number % 40))));
                    header = token.ToByteArray();
                    break;
            }

            var headers = new Metadata { { IdentityProof.TokenHeader, header } };
            await AssertRefusedAsync(() => Meta.StatAsync(new StatRequest { Name = "alice/own" }, headers, Soon()).ResponseAsync, $"token kind {kind}");
            await AssertRefusedAsync(() => Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = $"alice/forged-{number}" }, headers, Soon()).ResponseAsync, $"token kind {kind}");
            // Meanwhile alice's real token keeps working.
            await Meta.StatAsync(new StatRequest { Name = "alice/own" }, As(_aliceToken), Soon());
        }, iter: 300, threads: 1);

        Assert.DoesNotContain((await ListAsync("alice")).Keys, name => name.StartsWith("alice/forged-", StringComparison.Ordinal));
        await AssertHonestClientsServedAsync();
    }

    [Fact]
    public async Task NoPathOutOfAScopeSucceedsAndNothingOutsideItChanges()
    {
        // Arrange: what lies outside alice's scope, and the inodes a hostile call may start from
        var outside = await OutsideAliceAsync();
        var asRoot = As(_rootToken);
        var bases = new Dictionary<ulong, string>
        {
            [0] = string.Empty,
            [DirectoryNodeRoot] = string.Empty,
        };
        foreach (var path in new[] { "alice", "alice/sub", "alice/own", "bob", "bob/secret", "alicex" })
        {
            bases[(await Meta.StatAsync(new StatRequest { Name = path }, asRoot)).File.FileId] = path;
        }

        var baseIds = bases.Keys.ToArray();
        var paths = Gen.Select(Gen.Int[0, Components.Length - 1].Array[0, 4], Gen.Bool)
            .Select((parts, absolute) => (absolute ? "/" : string.Empty) + string.Join('/', parts.Select(i => Components[i])));
        var bases64 = Gen.OneOf(Gen.Int[0, baseIds.Length - 1].Select(i => baseIds[i]), Gen.ULong[1UL << 40, ulong.MaxValue]);
        var asAlice = As(_aliceToken);
        var gen = Gen.Select(Gen.Select(paths, bases64), Gen.Select(paths, bases64), Gen.Int[0, 7]);

        // Act / Assert: each call either is refused as the oracle says, or (in scope) is not refused for its scope
        await gen.SampleAsync(async (first, second, operation) =>
        {
            var (path, @base) = first;
            var (other, otherBase) = second;
            var (code, what) = operation switch
            {
                0 => (await CodeOf(async () => AssertSeen((await Meta.StatAsync(new StatRequest { Name = path, Base = @base }, asAlice, Soon())).File)), "stat"),
                1 => (await CodeOf(() => Meta.MakeDirectoryAsync(new MakeDirectoryRequest { Path = path, Base = @base }, asAlice, Soon()).ResponseAsync), "mkdir"),
                2 => (await CodeOf(() => Meta.CreateAsync(new CreateRequest { Name = path, Base = @base, StripeWidth = 1 }, asAlice, Soon()).ResponseAsync), "create"),
                3 => (await CodeOf(() => Meta.SymlinkAsync(new SymlinkRequest { Path = path, Base = @base, Target = other }, asAlice, Soon()).ResponseAsync), "symlink"),
                4 => (await CodeOf(() => Meta.SetAttributesAsync(new SetAttributesRequest { Path = path, Base = @base, Mode = 0x1ff }, asAlice, Soon()).ResponseAsync), "chmod"),
                5 => (await CodeOf(() => Meta.UnlinkAsync(new UnlinkRequest { Path = path, Base = @base }, asAlice, Soon()).ResponseAsync), "unlink"),
                6 => (await CodeOf(() => Meta.RenameAsync(new RenameRequest { From = path, FromBase = @base, To = other, ToBase = otherBase }, asAlice, Soon()).ResponseAsync), "rename"),
                _ => (await CodeOf(() => Meta.LinkAsync(new LinkRequest { Existing = path, ExistingBase = @base, Path = other, Base = otherBase }, asAlice, Soon()).ResponseAsync), "link"),
            };

            var expected = Expect(bases, @base, path, ancestorsToo: operation == 0);
            if (operation >= 6 && expected is null)
            {
                expected = Expect(bases, otherBase, other, ancestorsToo: false);
            }

            var call = $"{what} '{path}' (base {@base}){(operation >= 6 ? $" -> '{other}' (base {otherBase})" : string.Empty)}";
            if (expected is { } refusal)
            {
                Assert.True(code == refusal, $"{call}: expected {refusal}, got {code}");
            }
            else
            {
                Assert.True(code != StatusCode.PermissionDenied, $"{call} is inside the scope, yet was denied");
            }

            // A path through the link inside the scope goes nowhere: the server never follows it.
            if (LeadsThroughLink(bases, @base, path))
            {
                Assert.True(code != StatusCode.OK, $"{call} went through the symbolic link alice/out");
            }

            // An unlink or rename that succeeded may have moved or freed a base node: the oracle follows.
            if (code == StatusCode.OK && operation is 5 or 6)
            {
                await FollowBasesAsync(bases, asRoot);
            }
        }, iter: 400, threads: 1);

        Assert.Equal(outside, await OutsideAliceAsync());
        await AssertHonestClientsServedAsync();
    }

    /// <summary>The root node's inode (directories on the way down may be stat'ed, not changed).</summary>
    private const ulong DirectoryNodeRoot = 1;

    /// <summary>
    /// The oracle, written apart from the server's guard: `.` and `..` make a path InvalidArgument; an
    /// unknown base inode, or a full path not at or below "alice", is PermissionDenied; else null.
    /// </summary>
    private static StatusCode? Expect(Dictionary<ulong, string> bases, ulong @base, string path, bool ancestorsToo)
    {
        var parts = path.TrimStart('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(part => part is "." or ".."))
        {
            return StatusCode.InvalidArgument;
        }

        if (!bases.TryGetValue(@base, out var basePath))
        {
            return StatusCode.PermissionDenied;
        }

        var full = string.Join('/', basePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(parts));
        var inScope = full == "alice" || full.StartsWith("alice/", StringComparison.Ordinal);
        return inScope || (ancestorsToo && full.Length == 0) ? null : StatusCode.PermissionDenied;
    }

    /// <summary>
    /// Re-reads, as root, where each base node now lives: a base renamed keeps its inode under its new path, and a
    /// base whose last name went (unlinked, or replaced by a rename) is no inode any more, which the oracle then
    /// expects to be refused like any unknown one.
    /// </summary>
    private async Task FollowBasesAsync(Dictionary<ulong, string> bases, Metadata asRoot)
    {
        foreach (var id in bases.Keys.Where(id => id is not (0 or DirectoryNodeRoot)).ToArray())
        {
            try
            {
                bases[id] = (await Meta.StatAsync(new StatRequest { Base = id }, asRoot, Soon())).File.Name;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                bases.Remove(id);
            }
        }
    }

    /// <summary>What a stat in alice's name showed must be in her scope or on the way down to it.</summary>
    private static Protocol.Meta.FileInfo AssertSeen(Protocol.Meta.FileInfo node)
    {
        Assert.True(node.Name is "" or "alice" || node.Name.StartsWith("alice/", StringComparison.Ordinal), $"alice saw '{node.Name}'");
        return node;
    }

    private static bool LeadsThroughLink(Dictionary<ulong, string> bases, ulong @base, string path) =>
        bases.TryGetValue(@base, out var basePath)
        && $"{basePath}/{path.TrimStart('/')}/".TrimStart('/').StartsWith("alice/out/", StringComparison.Ordinal)
        && $"{basePath}/{path.TrimStart('/')}".TrimStart('/') != "alice/out";

    private static async Task<StatusCode> CodeOf<T>(Func<Task<T>> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            Assert.True(Precise.Contains(ex.StatusCode), $"got {ex.StatusCode} ({ex.Status.Detail}): a refusal must be precise, and come in time");
            return ex.StatusCode;
        }
    }

    private static async Task AssertRefusedAsync<T>(Func<Task<T>> call, string what)
    {
        var code = await CodeOf(call);
        Assert.True(code == StatusCode.PermissionDenied, $"{what}: expected PermissionDenied, got {code}");
    }

    /// <summary>Every node outside alice's scope, by path, with its inode, kind, size and mode.</summary>
    private async Task<SortedDictionary<string, string>> OutsideAliceAsync()
    {
        var all = await ListAsync(string.Empty, recursive: true);
        return new SortedDictionary<string, string>(
            all.Where(pair => pair.Key != "alice" && !pair.Key.StartsWith("alice/", StringComparison.Ordinal)).ToDictionary(),
            StringComparer.Ordinal);
    }

    private async Task<Dictionary<string, string>> ListAsync(string directory, bool recursive = false)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var reply = await Meta.ListDirectoryAsync(new ListDirectoryRequest { Path = directory, Limit = 1000 }, As(_rootToken), Soon());
        Assert.False(reply.More);
        foreach (var entry in reply.Entries)
        {
            found[entry.Name] = $"{entry.FileId} {entry.Kind} {entry.Size} {entry.Mode}";
            if (recursive && entry.Kind == NodeKind.Directory && entry.Name != "alice")
            {
                foreach (var (name, value) in await ListAsync(entry.Name, recursive: true))
                {
                    found[name] = value;
                }
            }
        }

        return found;
    }

    /// <summary>Alice, through the client library, still creates, writes and reads in her scope; bob still can't see it.</summary>
    private async Task AssertHonestClientsServedAsync()
    {
        await using var alice = await ConnectAsync(_alice);
        var name = $"alice/alive-{Guid.NewGuid():N}";
        await alice.CreateAsync(name, 1);
        await using (var file = await alice.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync("still here"u8.ToArray(), 0);
        }

        await using (var reader = await alice.OpenAsync(name, PfsOpenMode.Read))
        {
            Assert.Equal("still here"u8.ToArray(), await TestData.ReadAllAsync(reader, 10));
        }

        await using var bob = await ConnectAsync(_bob);
        var denied = await Assert.ThrowsAsync<PfsException>(() => bob.StatAsync(name));
        Assert.Equal(PfsErrorCode.PermissionDenied, denied.Code);
    }

    private Task<PfsClient> ConnectAsync(ClientKey key) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = $"honest-{key.Identity}-{Guid.NewGuid():N}",
            MetaServer = _cluster.MetaServerAddress,
            OperationTimeout = TimeSpan.FromSeconds(20),
            Key = key.ToString(),
        });

    private ClientKey NewKey(string name)
    {
        var key = ClientKey.Create(name);
        _keys.Add(key);
        return key;
    }

    /// <summary>The private key of <paramref name="owner"/> under another identity's name.</summary>
    private static ClientKey Borrow(ClientKey owner, string name)
    {
        Assert.True(ClientKey.TryParse($"pfs1.{name}.{owner.ToString().Split('.')[2]}", out var key, out var error), error);
        return key!;
    }

    private async Task<Identity> AddIdentityAsync(ClientKey key, string scope)
    {
        var request = new AddIdentityRequest { Identity = new Identity { Name = key.Identity, Scope = scope, PublicKey = ByteString.CopyFrom(key.PublicKey) } };
        return (await Auth.AddIdentityAsync(request, AdminHeaders("AddIdentity", request))).Identity;
    }

    private Metadata AdminHeaders(string method, IMessage request) => new()
    {
        { IdentityProof.AdminHeader, IdentityProof.ProveAdmin(_adminKey, $"/{AuthService.Descriptor.FullName}/{method}", Now(), request.ToByteArray()).ToByteArray() },
    };

    private async Task<byte[]> TokenAsync(ClientKey key) => (await Auth.AuthenticateAsync(key.Prove(Now()))).Token.ToByteArray();

    private static Metadata As(byte[] token) => new() { { IdentityProof.TokenHeader, token } };

    private static ByteString FlipBit(ByteString bytes, long number)
    {
        var copy = bytes.ToByteArray();
        if (copy.Length > 0)
        {
            var bit = (int)(number % (copy.Length * 8L));
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        return ByteString.CopyFrom(copy);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static DateTime Soon() => DateTime.UtcNow.Add(CallDeadline);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
