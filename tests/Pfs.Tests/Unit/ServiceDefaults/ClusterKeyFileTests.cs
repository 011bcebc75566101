using Pfs.Protocol;
using Pfs.ServiceDefaults;

namespace Pfs.Tests.Unit.ServiceDefaults;

/// <summary>
/// Threads in one process race far more tightly than server processes starting together do, so
/// this finds a reader of a half-written key, or a second creator replacing the first one's key,
/// within a few rounds where the process test (Integration/Servers) may not.
/// </summary>
public sealed class ClusterKeyFileTests
{
    private const int Rounds = 150;
    private const int Creators = 8;

    [Fact]
    public async Task CreatorsRacingForAMissingKeyFileAllReadOneWholeKey()
    {
        var root = Directory.CreateTempSubdirectory("pfs-keys-");
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                // Arrange: a key file that does not exist yet, and creators held at one barrier.
                var path = Path.Join(root.FullName, $"round{round}", "cluster.key");
                using var barrier = new Barrier(Creators);

                // Act
                var keys = await Task.WhenAll(Enumerable.Range(0, Creators).Select(_ => Task.Factory.StartNew(
                    () =>
                    {
                        barrier.SignalAndWait(TimeSpan.FromSeconds(30));
                        return ClusterKeys.ReadOrCreate(path);
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(60));

                // Assert: every creator read the same whole key, and only the key file is left.
                Assert.Single(keys.Distinct());
                Assert.True(CapabilitySigner.ParseKey(keys[0]).Length >= CapabilitySigner.MinKeyBytes);
                Assert.Equal(["cluster.key"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
