using System.Diagnostics;

namespace Pfs.ServiceDefaults;

/// <summary>
/// TEST ONLY. What a server's test crash point does once reached: it kills its own process with SIGKILL,
/// nothing flushed and no finally run, so crash tests stop a real process exactly between two steps.
/// </summary>
public static class TestCrash
{
    /// <summary>Says so on standard error (the line tests wait for), then kills this process; never returns.</summary>
    public static void KillSelf(string point)
    {
        // A logger writes from a queue that the kill would cut off; this line is written now.
        Console.Error.WriteLine($"Test crash point '{point}' reached: killing this process");
        Console.Error.Flush();
        using var self = Process.GetCurrentProcess();
        self.Kill();
        // Kill returns before the signal lands; nothing after the point may run.
        Thread.Sleep(Timeout.Infinite);
    }
}
