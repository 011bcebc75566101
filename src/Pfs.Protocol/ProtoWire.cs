namespace Pfs.Protocol;

/// <summary>
/// The few protobuf wire-format reads that our own parsers of bulk messages need (they parse
/// payloads into pooled memory instead of the fresh arrays the generated parsers allocate). All of
/// them read <c>buffer[at..end)</c>, move <c>at</c> past what they read and throw
/// <see cref="InvalidDataException"/> on anything malformed.
/// </summary>
public static class ProtoWire
{
    /// <summary>Wire type of length-delimited fields (bytes, strings, messages).</summary>
    public const int LengthDelimited = 2;

    /// <summary>The tag of field <paramref name="field"/> with wire type <paramref name="wireType"/>.</summary>
    public static ulong Tag(int field, int wireType) => ((ulong)field << 3) | (uint)wireType;

    /// <summary>A field tag; protobuf refuses field number 0 and tags beyond 32 bits.</summary>
    public static ulong ReadTag(ReadOnlySpan<byte> buffer, ref int at)
    {
        var tag = ReadVarint(buffer, ref at);
        return tag >> 3 == 0 || tag > uint.MaxValue ? throw new InvalidDataException($"invalid tag {tag}") : tag;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> buffer, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= buffer.Length)
            {
                throw new InvalidDataException("truncated varint");
            }

            var b = buffer[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("malformed varint");
    }

    /// <summary>A length-delimited field's bytes: returns where they start, moves past them.</summary>
    public static int ReadLengthDelimited(ReadOnlySpan<byte> buffer, ref int at, out int length)
    {
        var declared = ReadVarint(buffer, ref at);
        if (declared > (ulong)(buffer.Length - at))
        {
            throw new InvalidDataException("a field runs past the end of the message");
        }

        length = (int)declared;
        var start = at;
        at += length;
        return start;
    }

    /// <summary>Wire type of fixed32 fields.</summary>
    public const int Fixed32 = 5;

    /// <summary>A fixed32 value (little-endian): returns it, moves past it.</summary>
    public static uint ReadFixed32(ReadOnlySpan<byte> buffer, ref int at)
    {
        if (buffer.Length - at < 4)
        {
            throw new InvalidDataException("a field runs past the end of the message");
        }

        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]);
        at += 4;
        return value;
    }

    /// <summary>
    /// Adds the values of a repeated fixed32 field to <paramref name="values"/>, whichever way it came:
    /// packed (<paramref name="tag"/> is length-delimited) or one value per tag.
    /// </summary>
    public static void ReadRepeatedFixed32(ReadOnlySpan<byte> buffer, ref int at, ulong tag, Google.Protobuf.Collections.RepeatedField<uint> values)
    {
        if ((tag & 7) != LengthDelimited)
        {
            values.Add(ReadFixed32(buffer, ref at));
            return;
        }

        var start = ReadLengthDelimited(buffer, ref at, out var length);
        if (length % 4 != 0)
        {
            throw new InvalidDataException("a packed fixed32 field is not a whole number of values");
        }

        for (var p = start; p < start + length;)
        {
            values.Add(ReadFixed32(buffer, ref p));
        }
    }

    /// <summary>Moves past the value of a field with <paramref name="tag"/> that the parser does not use.</summary>
    public static void Skip(ReadOnlySpan<byte> buffer, ref int at, ulong tag)
    {
        var fixedLength = (tag & 7) switch
        {
            0 => -1,
            1 => 8,
            LengthDelimited => -2,
            5 => 4,
            _ => throw new InvalidDataException($"unexpected wire type in tag {tag}"),
        };
        if (fixedLength == -1)
        {
            ReadVarint(buffer, ref at);
        }
        else if (fixedLength == -2)
        {
            ReadLengthDelimited(buffer, ref at, out _);
        }
        else if (buffer.Length - at < fixedLength)
        {
            throw new InvalidDataException("a field runs past the end of the message");
        }
        else
        {
            at += fixedLength;
        }
    }
}
