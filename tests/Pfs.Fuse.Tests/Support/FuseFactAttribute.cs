namespace Pfs.Fuse.Tests.Support;

/// <summary>A test that mounts: skipped, with a one-line reason, only where /dev/fuse is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FuseFactAttribute : FactAttribute
{
    public FuseFactAttribute()
    {
        if (!File.Exists("/dev/fuse"))
            Skip = "/dev/fuse is missing on this machine";
    }
}
