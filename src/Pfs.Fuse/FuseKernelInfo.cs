namespace Pfs.Fuse;

/// <summary>What INIT settled with the kernel.</summary>
public sealed record FuseKernelInfo
{
    /// <summary>The protocol major version (7).</summary>
    public required uint Major { get; init; }

    /// <summary>The protocol minor version in use: the lower of the kernel's and the binding's.</summary>
    public required uint Minor { get; init; }

    /// <summary>The minor version the kernel offered.</summary>
    public required uint KernelMinor { get; init; }

    /// <summary>The flags the kernel offered.</summary>
    public required FuseInitFlags KernelFlags { get; init; }

    /// <summary>The flags in force: the wanted ones the kernel offered.</summary>
    public required FuseInitFlags Flags { get; init; }

    /// <summary>The largest WRITE the kernel will send, in bytes.</summary>
    public required uint MaxWrite { get; init; }

    /// <summary>The pages per request.</summary>
    public required ushort MaxPages { get; init; }

    /// <summary>The readahead window the kernel may use, in bytes.</summary>
    public required uint MaxReadahead { get; init; }
}
