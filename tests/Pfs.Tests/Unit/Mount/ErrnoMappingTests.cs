using Pfs.Client;
using Pfs.Fuse;
using Pfs.Mount;

namespace Pfs.Tests.Unit.Mount;

/// <summary>CONTRACT.md "Mount": every contract error surfaces as its errno (the mount tests see the ones a real mount can provoke).</summary>
public sealed class ErrnoMappingTests
{
    [Theory]
    [InlineData(PfsErrorCode.NotFound, Errno.ENOENT)]
    [InlineData(PfsErrorCode.AlreadyExists, Errno.EEXIST)]
    [InlineData(PfsErrorCode.NotADirectory, Errno.ENOTDIR)]
    [InlineData(PfsErrorCode.IsADirectory, Errno.EISDIR)]
    [InlineData(PfsErrorCode.DirectoryNotEmpty, Errno.ENOTEMPTY)]
    [InlineData(PfsErrorCode.NoSpace, Errno.ENOSPC)]
    [InlineData(PfsErrorCode.PermissionDenied, Errno.EACCES)]
    [InlineData(PfsErrorCode.InvalidArgument, Errno.EINVAL)]
    [InlineData(PfsErrorCode.Unavailable, Errno.EIO)]
    [InlineData(PfsErrorCode.DataLoss, Errno.EIO)]
    [InlineData(PfsErrorCode.Internal, Errno.EIO)]
    [InlineData(PfsErrorCode.Closed, Errno.EIO)]
    public async Task AContractErrorBecomesItsErrno(PfsErrorCode code, int errno)
    {
        var thrown = await Assert.ThrowsAsync<FuseException>(async () =>
            await Errors.Map(() => Task.FromException(new PfsException(code, "from the client"))));
        Assert.Equal(errno, thrown.Errno);
        Assert.Equal("from the client", thrown.Message);
    }
}
