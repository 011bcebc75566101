using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// File-server calls as the Pfs client makes them: a WriteBytes call carries its capability in the
/// <see cref="CapabilityHeader"/> header too (a call without a capability carries none), so tests that
/// talk to a file server directly reach the checks behind the header's.
/// </summary>
public static class CapabilityHeaders
{
    /// <summary><paramref name="channel"/>'s calls, with the header added to every WriteBytes call.</summary>
    public static CallInvoker WithCapabilityHeader(this ChannelBase channel) => channel.Intercept(new Adder());

    private sealed class Adder : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            ArgumentNullException.ThrowIfNull(continuation);
            if (request is WriteBytesRequest { Capability: { } capability })
            {
                var headers = context.Options.Headers ?? [];
                headers.Add(CapabilityHeader.Name, capability.ToByteArray());
                context = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
            }

            return continuation(request, context);
        }
    }
}
