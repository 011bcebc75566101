namespace Pfs.Protocol.Meta;

/// <summary>
/// A metadata request that names one node by a path relative to a base inode (0 is the root). It lets
/// the metadata server check what a call may touch once for every such request, whatever the request's
/// own field is called (<c>name</c> in the first version's calls, <c>path</c> in the namespace's).
/// </summary>
public interface INodePathRequest
{
    /// <summary>The inode the path starts from; 0 for the root.</summary>
    ulong Base { get; }

    /// <summary>The path, relative to <see cref="Base"/>.</summary>
    string NodePath { get; }
}

public sealed partial class CreateRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Name;
}

public sealed partial class OpenRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Name;
}

public sealed partial class DeleteRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Name;
}

public sealed partial class StatRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Name;
}

public sealed partial class ListDirectoryRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}

public sealed partial class MakeDirectoryRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}

public sealed partial class RemoveDirectoryRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}

public sealed partial class UnlinkRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}

public sealed partial class SymlinkRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}

public sealed partial class SetAttributesRequest : INodePathRequest
{
    string INodePathRequest.NodePath => Path;
}
