using Microsoft.Extensions.DependencyInjection;
using Pfs.LocalCluster;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;

namespace Pfs.Tests.Fixtures;

/// <summary>Looks inside an in-process metadata server, so tests wait for the event itself (a waiter queued) instead of for time.</summary>
public static class MetaProbe
{
    public static Task WaitForWaitersAsync(PfsCluster cluster, string name, int count) =>
        WaitForWaitersAsync(cluster.MetaServices, name, count);

    /// <summary>The same for a metadata server given by its services (an app a test built itself).</summary>
    public static Task WaitForWaitersAsync(IServiceProvider metaServices, string name, int count)
    {
        var names = metaServices.GetRequiredService<Namespace>();
        var locks = metaServices.GetRequiredService<LockTable>();
        return Wait.UntilAsync(
            () => locks.WaitingCount(names.Lookup(0, name).Node.Id) == count,
            $"{count} callers wait for the lock of '{name}'");
    }
}
