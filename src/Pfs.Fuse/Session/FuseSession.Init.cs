using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    /// <summary>The protocol major version this binding speaks.</summary>
    internal const uint ProtocolMajor = 7;

    /// <summary>The highest minor version whose structs and semantics this binding knows (Linux 6.18 offers 7.45).</summary>
    internal const uint MaxMinor = 45;

    /// <summary>The lowest minor version accepted: 7.28 brought FUSE_MAX_PAGES, which 1 MiB requests need.</summary>
    internal const uint MinMinor = 28;

    private void HandleInit(FuseRequest request)
    {
        try
        {
            var init = request.ReadPartial<InitIn>();
            if (init.Major > ProtocolMajor)
            {
                // The kernel speaks a newer major: answer with ours and wait for its next INIT.
                var older = new InitOut { Major = ProtocolMajor, Minor = MaxMinor };
                ReplyStruct(request, older);
                return;
            }
            if (init.Major < ProtocolMajor || init.Minor < MinMinor)
            {
                ReplyError(request, Errno.EPROTO);
                _initialized.TrySetException(new FuseMountException(
                    $"the kernel speaks FUSE {init.Major}.{init.Minor}; this binding needs {ProtocolMajor}.{MinMinor} or newer"));
                return;
            }

            var kernelFlags = (FuseInitFlags)init.Flags;
            if ((kernelFlags & FuseInitFlags.InitExt) != 0)
                kernelFlags |= (FuseInitFlags)((ulong)init.Flags2 << 32);
            var granted = WantedFlags() & kernelFlags;
            if ((ulong)granted >> 32 != 0)
                granted |= FuseInitFlags.InitExt;

            var pageSize = Environment.SystemPageSize;
            var maxPages = (ushort)Math.Max(1, _options.MaxWrite / pageSize);
            var info = new FuseKernelInfo
            {
                Major = ProtocolMajor,
                Minor = Math.Min(init.Minor, MaxMinor),
                KernelMinor = init.Minor,
                KernelFlags = kernelFlags,
                Flags = granted,
                MaxWrite = (uint)_options.MaxWrite,
                MaxPages = (granted & FuseInitFlags.MaxPages) != 0 ? maxPages : (ushort)32,
                MaxReadahead = Math.Min(init.MaxReadahead, (uint)_options.MaxReadahead),
            };

            // The file system gets ready before the kernel may send anything else: it sends
            // nothing until INIT is answered.
            _fs.Init(info);
            Kernel = info;

            var reply = new InitOut
            {
                Major = info.Major,
                Minor = info.Minor,
                MaxReadahead = info.MaxReadahead,
                Flags = (uint)((ulong)granted & uint.MaxValue),
                Flags2 = (uint)((ulong)granted >> 32),
                MaxBackground = _options.MaxBackground,
                CongestionThreshold = _options.CongestionThreshold,
                MaxWrite = info.MaxWrite,
                TimeGran = 1,
                MaxPages = maxPages,
            };
            ReplyStruct(request, reply);
            Log.Negotiated(_logger, info.Minor, info.KernelMinor, (ulong)info.Flags, info.MaxWrite, info.MaxReadahead);
            _initialized.TrySetResult(info);
        }
        catch (Exception e)
        {
            ReplyError(request, Errno.EIO);
            _initialized.TrySetException(e);
        }
        finally
        {
            Release(request);
        }
    }

    /// <summary>The INIT flags the options and the implemented operations ask for.</summary>
    internal FuseInitFlags WantedFlags()
    {
        var flags = FuseInitFlags.BigWrites | FuseInitFlags.MaxPages | _options.AdditionalFlags;
        if (_options.AsyncRead)
            flags |= FuseInitFlags.AsyncRead;
        if (_options.ParallelDirOps)
            flags |= FuseInitFlags.ParallelDirOps;
        if (_options.AtomicOTrunc)
            flags |= FuseInitFlags.AtomicOTrunc;
        if (_options.ReadDirPlus && _implemented[(int)FuseOpcode.ReadDirPlus])
            flags |= FuseInitFlags.DoReadDirPlus;
        if (_options.WritebackCache)
            flags |= FuseInitFlags.WritebackCache;
        if (_options.CacheSymlinks)
            flags |= FuseInitFlags.CacheSymlinks;
        flags |= _options.DataInvalidation switch
        {
            FuseDataInvalidation.Auto => FuseInitFlags.AutoInvalData,
            FuseDataInvalidation.Explicit => FuseInitFlags.ExplicitInvalData,
            _ => FuseInitFlags.None,
        };
        // "." / ".." lookups stay the kernel's, and so do locks unless the file system takes them: the kernel then keeps
        // fcntl and flock locks itself, for this mount alone.
        flags &= ~(FuseInitFlags.PosixLocks | FuseInitFlags.FlockLocks | FuseInitFlags.ExportSupport);
        if (_implemented[(int)FuseOpcode.GetLk] && _implemented[(int)FuseOpcode.SetLk])
            flags |= FuseInitFlags.PosixLocks | FuseInitFlags.FlockLocks;
        return flags;
    }

    private void HandleInterrupt(FuseRequest request)
    {
        try
        {
            var target = request.Read<InterruptIn>().Unique;
            if (_inFlight.TryGetValue(target, out var victim))
            {
                CancelQuietly(victim);
            }
            else
            {
                // Another reader may have read the request but not registered it yet: EAGAIN makes
                // the kernel queue the interrupt again (and the write fails with ENOENT, ignored,
                // when the request is already answered).
                ReplyError(request, Errno.EAGAIN);
            }
        }
        catch (FuseException)
        {
            // A malformed INTERRUPT has no answer either.
        }
        finally
        {
            Release(request);
        }
    }

    private void HandleForget(FuseRequest request)
    {
        try
        {
            var forget = request.Read<ForgetIn>();
            _fs.Forget(request.NodeId, forget.NLookup);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, nameof(FuseOpcode.Forget), request.NodeId, e);
        }
        finally
        {
            Release(request);
        }
    }

    private void HandleBatchForget(FuseRequest request)
    {
        try
        {
            var batch = request.Read<BatchForgetIn>();
            var offset = SizeOf<BatchForgetIn>();
            for (var i = 0; i < batch.Count; i++, offset += SizeOf<ForgetOne>())
            {
                var one = request.Read<ForgetOne>(offset);
                _fs.Forget(one.NodeId, one.NLookup);
            }
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, nameof(FuseOpcode.BatchForget), request.NodeId, e);
        }
        finally
        {
            Release(request);
        }
    }
}
