using Grpc.Core;

namespace Pfs.Protocol.FileServer;

/// <summary>Passes the generated FileService bindings through, with WriteBytes swapped for its pooled form.</summary>
internal sealed class PooledWriteBinder(ServiceBinderBase inner) : ServiceBinderBase
{
    private static readonly Marshaller<WriteBytesReply> ReplyMarshaller = Marshallers.Create<WriteBytesReply>(
        (reply, context) =>
        {
            context.SetPayloadLength(reply.CalculateSize());
            Google.Protobuf.MessageExtensions.WriteTo(reply, context.GetBufferWriter());
            context.Complete();
        },
        context => WriteBytesReply.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

    private static readonly Method<PooledWriteBytes, WriteBytesReply> WriteBytes = new(
        MethodType.Unary, FileService.Descriptor.FullName, "WriteBytes", PooledWriteBytes.Marshaller, ReplyMarshaller);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        if (method.Name == WriteBytes.Name && typeof(TRequest) == typeof(WriteBytesRequest))
        {
            // The handler is found by name and parameter types: FileServiceBase.WriteBytes(PooledWriteBytes, ...).
            inner.AddMethod(WriteBytes, (UnaryServerMethod<PooledWriteBytes, WriteBytesReply>?)null);
            return;
        }

        inner.AddMethod(method, handler);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        inner.AddMethod(method, handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
        inner.AddMethod(method, handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        inner.AddMethod(method, handler);
}

/// <summary>FileService bound with WriteBytes requests parsed into pooled memory (see <see cref="PooledWriteBytes"/>).</summary>
public static partial class FileService
{
    /// <summary>
    /// The generated bindings, except WriteBytes, whose requests arrive as <see cref="PooledWriteBytes"/>. A service
    /// opts in with <c>[BindServiceMethod(typeof(FileService), nameof(FileService.BindServiceWithPooledWrites))]</c>.
    /// </summary>
    public static void BindServiceWithPooledWrites(ServiceBinderBase serviceBinder, FileServiceBase? serviceImpl) =>
        BindService(new PooledWriteBinder(serviceBinder), serviceImpl);

    public abstract partial class FileServiceBase
    {
        /// <summary>WriteBytes as it arrives when bound with pooled writes: the pooled buffer goes back when the call ends.</summary>
        public virtual async Task<WriteBytesReply> WriteBytes(PooledWriteBytes request, ServerCallContext context)
        {
            ArgumentNullException.ThrowIfNull(request);
            using (request)
            {
                return await WriteBytes(request.Message, context).ConfigureAwait(false);
            }
        }
    }
}
