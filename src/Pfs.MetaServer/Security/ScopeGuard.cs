using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Registry;
using Pfs.Protocol;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// What an identity may touch: every path a call names, resolved to its full path (a base inode
/// becomes the path of that node; `.` and `..` are no path components at all), must lie in the
/// identity's scope, and a read-only identity may make no change. Symbolic links are never followed
/// by the server, so a link cannot lead out of a scope: its target is a path the client must ask
/// for, and that path is checked in turn. A rename or hard link needs both of its ends in scope.
/// </summary>
internal sealed class ScopeGuard(Namespace names)
{
    /// <summary>Throws PermissionDenied (or InvalidArgument for a path that is none) unless <paramref name="caller"/> may make this call.</summary>
    public void Authorize(Caller caller, object request)
    {
        if (caller.Unlimited)
        {
            return;
        }

        switch (request)
        {
            // What only reads: a stat may also look at the directories on the way down to the scope.
            case StatRequest r:
                Read(caller, r.Base, r.Name, ancestorsToo: true);
                break;
            case ListDirectoryRequest r:
                Read(caller, r.Base, r.Path);
                break;
            case OpenRequest { Mode: not LockMode.Write } r:
                Read(caller, r.Base, r.Name);
                break;

            // Every other call that names one node changes it: create, open for writing, delete, mkdir,
            // rmdir, unlink, symlink and set-attributes.
            case INodePathRequest r:
                Change(caller, r.Base, r.NodePath);
                break;
            case RenameRequest r:
                Change(caller, r.FromBase, r.From);
                Change(caller, r.ToBase, r.To);
                break;
            case LinkRequest r:
                Change(caller, r.ExistingBase, r.Existing);
                Change(caller, r.Base, r.Path);
                break;
            case LockRequest r:
                // Anyone who may read a file may lock it, as with fcntl on a descriptor open for reading.
                Read(caller, r.FileId, string.Empty);
                break;
            case CloseRequest or ReleaseRequest or SubscribeRequest or ClusterStatusRequest or RenewCapabilityRequest:
                // Handles come from opens that were checked; the stream and the status name no path.
                break;
            case ListRequest when caller.Scope.Length == 0:
                break;
            default:
                // A call this guard does not know (the flat v1 List included) is for unlimited identities only.
                throw Denied($"identity '{caller}' (scope '/{caller.Scope}'{(caller.ReadOnly ? ", read-only" : string.Empty)}) may not make this call");
        }
    }

    private void Change(Caller caller, ulong baseId, string path)
    {
        if (caller.ReadOnly)
        {
            throw Denied($"identity '{caller}' is read-only");
        }

        Read(caller, baseId, path);
    }

    private void Read(Caller caller, ulong baseId, string path, bool ancestorsToo = false)
    {
        var full = FullPath(caller, baseId, path);
        if (!ScopePath.Covers(caller.Scope, full) && !(ancestorsToo && ScopePath.IsAncestor(caller.Scope, full)))
        {
            throw Denied($"'/{full}' is outside the scope '/{caller.Scope}' of identity '{caller}'");
        }
    }

    private string FullPath(Caller caller, ulong baseId, string path)
    {
        if (!PfsPaths.TrySplit(path, out var components, out var error))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid path: {error}"));
        }

        var relative = string.Join('/', components);
        if (baseId is 0 or DirectoryNode.RootId)
        {
            return relative;
        }

        string basePath;
        try
        {
            basePath = names.Lookup(baseId, string.Empty).Path;
        }
        catch (MetaException)
        {
            throw Denied($"inode {baseId} is not in the scope of identity '{caller}'");
        }

        // A node reached by inode that has no name left (an open, unlinked file) is in no scope but the whole namespace.
        return basePath.Length == 0 ? (caller.Scope.Length == 0 ? relative : "\0") : relative.Length == 0 ? basePath : basePath + "/" + relative;
    }

    private static RpcException Denied(string message) => new(new Status(StatusCode.PermissionDenied, message));
}
