// Domain names in DNS messages (RFC 1035 §3.1 labels, §4.1.4 compression; RFC 6762 §16 case
// rules). Names are handled in presentation form: labels joined by '.', no trailing dot, the root
// is "". Label bytes outside 0x21..0x7E, and '.' and '\', are written as "\DDD" (decimal), so any
// wire label maps to exactly one string and back.
// Invariants: reading never throws and never loops: every compression pointer must point strictly
// before the previous jump target (so targets decrease), at most MaxPointerJumps jumps, wire length
// at most 255 bytes. Writing (our own names) never compresses and throws on an invalid name.
using System.Text;
using Tallow.Wire;

namespace Tallow.Net.Discovery;

internal static class DnsName
{
    public const int MaxWireLength = 255;
    public const int MaxLabelLength = 63;
    public const int MaxPointerJumps = 20;

    /// <summary>
    /// Reads the name at <paramref name="offset"/> of <paramref name="message"/> (pointers may refer to
    /// anywhere earlier in the message). <paramref name="consumed"/> counts the bytes at the original
    /// position, up to and including the terminating zero or the first pointer.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, int offset, out string name, out int consumed)
    {
        name = string.Empty;
        consumed = 0;
        var builder = new StringBuilder();
        int position = offset;
        int limit = offset; // a pointer must target a position strictly below this
        int end = -1;
        int jumps = 0;
        int wireLength = 1;
        while (true)
        {
            if (position < 0 || position >= message.Length)
            {
                return false;
            }

            byte length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length)
                {
                    return false;
                }

                int target = ((length & 0x3F) << 8) | message[position + 1];
                if (end < 0)
                {
                    end = position + 2;
                }

                if (++jumps > MaxPointerJumps || target >= limit)
                {
                    return false;
                }

                limit = target;
                position = target;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                return false; // 0x40 / 0x80: extended label types, not allowed
            }

            if (length == 0)
            {
                if (end < 0)
                {
                    end = position + 1;
                }

                break;
            }

            wireLength += 1 + length;
            if (wireLength > MaxWireLength || position + 1 + length > message.Length)
            {
                return false;
            }

            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            AppendEscaped(builder, message.Slice(position + 1, length));
            position += 1 + length;
        }

        name = builder.ToString();
        consumed = end - offset;
        return true;
    }

    /// <summary>Bytes <see cref="Write"/> produces for <paramref name="name"/>; throws when it is not a valid name.</summary>
    public static int WireLength(string name)
    {
        int total = 1;
        foreach (byte[] label in ToLabels(name))
        {
            total += 1 + label.Length;
        }

        return total;
    }

    /// <summary>Writes <paramref name="name"/> uncompressed; throws when it is not a valid name.</summary>
    public static void Write(ref SpanWriter writer, string name)
    {
        foreach (byte[] label in ToLabels(name))
        {
            writer.WriteByte((byte)label.Length);
            writer.WriteBytes(label);
        }

        writer.WriteByte(0);
    }

    /// <summary>Case-insensitive comparison (ASCII letters only, RFC 6762 §16).</summary>
    public static bool NameEquals(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>The presentation form of a name made of raw labels.</summary>
    public static string FromLabels(IEnumerable<byte[]> labels)
    {
        var builder = new StringBuilder();
        foreach (byte[] label in labels)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            AppendEscaped(builder, label);
        }

        string name = builder.ToString();
        _ = WireLength(name); // validates lengths
        return name;
    }

    /// <summary>Splits a presentation-form name into raw labels, undoing escapes; throws on an invalid name.</summary>
    public static List<byte[]> ToLabels(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var labels = new List<byte[]>();
        if (name.Length == 0)
        {
            return labels;
        }

        var current = new List<byte>();
        int total = 1;
        for (int i = 0; i <= name.Length; i++)
        {
            if (i == name.Length || name[i] == '.')
            {
                if (current.Count is 0 or > MaxLabelLength)
                {
                    throw new ArgumentException($"invalid label length in DNS name '{name}'", nameof(name));
                }

                total += 1 + current.Count;
                labels.Add([.. current]);
                current.Clear();
                continue;
            }

            char c = name[i];
            if (c == '\\')
            {
                if (i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3]))
                {
                    int value = ((name[i + 1] - '0') * 100) + ((name[i + 2] - '0') * 10) + (name[i + 3] - '0');
                    if (value > 255)
                    {
                        throw new ArgumentException($"invalid escape in DNS name '{name}'", nameof(name));
                    }

                    current.Add((byte)value);
                    i += 3;
                }
                else if (i + 1 < name.Length && name[i + 1] is '.' or '\\')
                {
                    current.Add((byte)name[i + 1]);
                    i += 1;
                }
                else
                {
                    throw new ArgumentException($"invalid escape in DNS name '{name}'", nameof(name));
                }
            }
            else if (c is > (char)0x20 and < (char)0x7F)
            {
                current.Add((byte)c);
            }
            else
            {
                throw new ArgumentException($"DNS name '{name}' has a character that must be escaped", nameof(name));
            }
        }

        if (total > MaxWireLength)
        {
            throw new ArgumentException($"DNS name '{name}' is longer than {MaxWireLength} bytes", nameof(name));
        }

        return labels;
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is > 0x20 and < 0x7F && b != (byte)'.' && b != (byte)'\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
