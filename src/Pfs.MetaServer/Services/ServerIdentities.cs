using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;

namespace Pfs.MetaServer.Services;

/// <summary>
/// Notices a file server that came back without its data (a replaced disk, an emptied data directory):
/// every file server holds a small identity object (a reserved generation no file ever gets), written
/// through the ordinary staged-write path and read back every round. A reachable server that answers
/// without the identity this metadata server read from it before (or with another) has lost what it
/// held: every file with parity that has a shard there gets that position marked stale (a repair
/// rebuilds it), so does every position of a file without parity that held blocks there (its reads fail as
/// lost rather than return zeros, and a repair names it), and the server gets a new identity. A
/// server without one that was never seen with one (a new cluster or server) simply gets its own. Not
/// noticed: a server emptied while the metadata server was down too (it reads the new identity first).
/// </summary>
internal sealed partial class ServerIdentities(Namespace names, FileServerClients servers, CapabilitySigner signer, WriterEpochs epochs,
                                               MetaServerOptions options, ILogger<ServerIdentities> logger) : BackgroundService
{
    /// <summary>The generation of every file server's identity object (file ids count up from 1 and never get here).</summary>
    public const ulong IdentityGeneration = ulong.MaxValue - 1;

    private const string IdentityName = ".pfs-server-identity";

    // The identity last read back from each server.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _seen = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _mismatched = new(StringComparer.OrdinalIgnoreCase);
    private const int TokenBytes = 16;

    /// <summary>How often every file server is checked.</summary>
    internal static TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or Errors.MetaException)
            {
                LogCheckFailed(logger, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A defect in one round must not stop the metadata server (a background service's exception stops the
                // host): it is logged whole, and the next round runs.
                LogCheckBroke(logger, ex);
            }

            await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One round over every file server. Only a server whose identity this metadata server has read back
    /// before counts as having lost its data when it answers without it (or with another one): a write of an
    /// identity that did not commit, or a server new to the cluster, must not make shards stale.
    /// </summary>
    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var addresses = options.FileServers;
        // null: unreachable; empty: no identity.
        var tokens = await Task.WhenAll(addresses.Select(address => ReadAsync(address, cancellationToken))).ConfigureAwait(false);
        for (var position = 0; position < addresses.Count; position++)
        {
            var address = addresses[position];
            if (tokens[position] is not { } token)
            {
                continue;
            }

            var seen = _seen.GetValueOrDefault(address);
            if (seen is not null && !seen.AsSpan().SequenceEqual(token))
            {
                await MarkLostAsync(address, cancellationToken).ConfigureAwait(false);
                _seen.TryRemove(address, out _);
            }

            if (token.Length == 0)
            {
                await WriteAsync(address, cancellationToken).ConfigureAwait(false);
            }
            else if (!_seen.ContainsKey(address))
            {
                _seen[address] = token;
                LogIdentityConfirmed(logger, address);
            }
        }
    }

    // Every position of a file that held blocks there becomes stale: a file with parity gets it rebuilt by a
    // repair; one without can only have it named (reads of it fail as lost, a repair reports it) until it is
    // written anew from nothing or deleted.
    private async Task MarkLostAsync(string address, CancellationToken cancellationToken)
    {
        var files = names.FilesOn(address);
        LogServerLost(logger, address, files.Count(file => file.Parity), files.Where(file => !file.Parity).Select(file => file.Id).Distinct().Count());
        foreach (var (id, position, path, parity) in files)
        {
            try
            {
                await names.MarkStaleAsync(id, position, cancellationToken).ConfigureAwait(false);
            }
            catch (Errors.MetaException ex) when (ex.Code == Errors.MetaErrorCode.NotFound)
            {
                // Deleted meanwhile.
                continue;
            }

            if (!parity)
            {
                LogFileDamaged(logger, path, address);
            }
        }
    }

    private async Task<byte[]?> ReadAsync(string address, CancellationToken cancellationToken)
    {
        try
        {
            var request = new ReadBytesRequest
            {
                Object = new ObjectId { Name = IdentityName, Generation = IdentityGeneration },
                Capability = signer.Sign(IdentityName, IdentityGeneration, write: false, 0, ObjectCommitter.SignerId),
                Ranges = { new ByteRange { Offset = 0, Length = TokenBytes } },
            };
            var reply = await servers.For(address).ReadBytesAsync(request, new CallOptions(deadline: DateTime.UtcNow + options.CommitTimeout,
                cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
            _mismatched.TryRemove(address, out _);
            return reply.Data.Count == 1 ? reply.Data[0].ToByteArray() : [];
        }
        catch (RpcException ex)
        {
            // A server that is down is common and says nothing here; a TLS disagreement never heals by itself and
            // stops every commit, repair and delete there, so it is said once, at the first check.
            if (TlsMismatch.Describe(ex) is { } mismatch && _mismatched.TryAdd(address, true))
            {
                LogTlsMismatch(logger, address, mismatch);
            }

            return null;
        }
    }

    private async Task WriteAsync(string address, CancellationToken cancellationToken)
    {
        var epoch = epochs.Next();
        var client = servers.For(address);
        var capability = signer.Sign(IdentityName, IdentityGeneration, write: true, epoch, ObjectCommitter.SignerId);
        var request = new WriteBytesRequest
        {
            Object = new ObjectId { Name = IdentityName, Generation = IdentityGeneration },
            Capability = capability,
            Sync = true,
            Segments = { new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(TokenBytes)) } },
        };
        var deadline = DateTime.UtcNow + options.CommitTimeout;
        await client.WriteBytesAsync(request, new CallOptions(CapabilityHeader.For(capability), deadline, cancellationToken)).ResponseAsync.ConfigureAwait(false);
        await client.CommitObjectAsync(new CommitObjectRequest
        {
            Object = request.Object,
            Capability = signer.SignCommit(IdentityName, IdentityGeneration, epoch, ObjectCommitter.SignerId),
        }, new CallOptions(deadline: deadline, cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
        LogIdentityWritten(logger, address);
    }

    [LoggerMessage(EventId = 110, EventName = "FileServerLostData", Level = LogLevel.Error, Message = "File server {Address} came back without its data: {WithParity} shards of files with parity are marked stale for repair, {Without} files without parity lost bytes there")]
    private static partial void LogServerLost(ILogger logger, string address, int withParity, int without);

    [LoggerMessage(EventId = 111, EventName = "FileDamagedWithoutParity", Level = LogLevel.Error, Message = "'{Name}' has no parity and its blocks on {Address} are gone: reads of them fail until the file is written anew or deleted")]
    private static partial void LogFileDamaged(ILogger logger, string name, string address);

    [LoggerMessage(EventId = 112, EventName = "IdentityWritten", Level = LogLevel.Information, Message = "File server {Address} has a new identity")]
    private static partial void LogIdentityWritten(ILogger logger, string address);

    [LoggerMessage(EventId = 114, EventName = "IdentityConfirmed", Level = LogLevel.Information, Message = "File server {Address} identity confirmed")]
    private static partial void LogIdentityConfirmed(ILogger logger, string address);

    [LoggerMessage(EventId = 113, EventName = "IdentityCheckFailed", Level = LogLevel.Warning, Message = "Checking the file servers' identities failed ({Detail}); trying again")]
    private static partial void LogCheckFailed(ILogger logger, string detail);

    [LoggerMessage(EventId = 116, EventName = "FileServerTlsMismatch", Level = LogLevel.Error,
        Message = "File server {Address} {Mismatch}: nothing can be committed, repaired or deleted there until this is fixed")]
    private static partial void LogTlsMismatch(ILogger logger, string address, string mismatch);

    [LoggerMessage(EventId = 115, EventName = "IdentityCheckBroke", Level = LogLevel.Error, Message = "Checking the file servers' identities broke; trying again")]
    private static partial void LogCheckBroke(ILogger logger, Exception exception);
}
