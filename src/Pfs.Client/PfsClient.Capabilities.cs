using Grpc.Core;
using Pfs.Protocol.Security;

namespace Pfs.Client;

/// <summary>
/// Capabilities expire (docs/SECURITY.md): one loop renews the capability of every open file at
/// half of its lifetime, so a file can stay open for as long as its holder likes while a
/// capability that leaks, or whose holder is revoked, stops working soon after.
/// </summary>
public sealed partial class PfsClient
{
    private static readonly TimeSpan MaxRenewalPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinRenewalPause = TimeSpan.FromMilliseconds(50);
    private readonly CapabilityService.CapabilityServiceClient _capabilities;
    private Task? _renewals;

    private void StartRenewals() => _renewals = Task.Run(() => RenewLoopAsync(_disposing.Token), CancellationToken.None);

    private async Task StopRenewalsAsync()
    {
        if (_renewals is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task RenewLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var next = DateTimeOffset.UtcNow + MaxRenewalPause;
            foreach (var file in _openFiles.Keys)
            {
                if (file.Layout.RenewAt is not { } due)
                {
                    continue;
                }

                if (due <= DateTimeOffset.UtcNow)
                {
                    await RenewAsync(file, stopping).ConfigureAwait(false);
                    due = file.Layout.RenewAt ?? next;
                }

                next = due < next ? due : next;
            }

            var pause = next - DateTimeOffset.UtcNow;
            try
            {
                await Task.Delay(pause < MinRenewalPause ? MinRenewalPause : pause, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task RenewAsync(PfsFile file, CancellationToken stopping)
    {
        try
        {
            var reply = await _capabilities.RenewAsync(
                new RenewCapabilityRequest { ClientId = Options.ClientId, Handle = file.Handle },
                headers: _callHeaders, deadline: DateTime.UtcNow + Options.OperationTimeout, cancellationToken: stopping).ConfigureAwait(false);
            file.Layout.SetCapability(reply.Capability);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound && !stopping.IsCancellationRequested)
        {
            // The metadata server does not know the open: its lease ran out while this client was stopped or cut off,
            // and its lock may be another writer's by now. It is lost; renewing it again cannot help.
            file.MarkLost("the metadata server no longer holds this open (its lease ran out while this client could not reach it), so its lock is gone");
            Forget(file);
            Log.OpenLost(_logger, file.Name, $"{ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (RpcException ex) when (!stopping.IsCancellationRequested)
        {
            // The server may be restarting: the capability may still be good for a while, so try again soon.
            Log.CapabilityRenewalFailed(_logger, file.Name, $"{ex.StatusCode}: {ex.Status.Detail}");
            file.Layout.PostponeRenewal(MaxRenewalPause);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
