// The binary part of an OpenSSH public key (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4, OpenSSH
// PROTOCOL.u2f): a sequence of u32-length-prefixed strings and mpints, the first being the type
// name, which must equal the type on the line. Each type's fields are checked for exact lengths
// and nothing may follow them; RSA moduli are sized as `ssh-keygen -l` sizes them (BN_num_bits).
// Reads go through SpanReader, so hostile lengths end in a KeyProblem, never an exception.
using Tallow.Wire;

namespace Tallow.Protocol.Ssh;

internal static class SshKeyBlob
{
    private const string Ed25519 = "ssh-ed25519";
    private const string Rsa = "ssh-rsa";
    private const string SkEd25519 = "sk-ssh-ed25519@openssh.com";
    private const string SkEcdsa = "sk-ecdsa-sha2-nistp256@openssh.com";
    private const string EcdsaPrefix = "ecdsa-sha2-";

    /// <summary>Largest RSA modulus accepted (OpenSSH's SSH_RSA_MAXIMUM_MODULUS_SIZE).</summary>
    private const int MaxRsaBits = 16384;

    /// <summary>Longest FIDO application string (OpenSSH keeps these short: "ssh:" and a name).</summary>
    private const int MaxApplicationBytes = 1024;

    public static bool IsKnownType(string type) => type is Ed25519 or Rsa or SkEd25519 or SkEcdsa || CurveOf(type) is not null;

    public static string LabelOf(string type) => type switch
    {
        Ed25519 => "ED25519",
        Rsa => "RSA",
        SkEd25519 => "ED25519-SK",
        SkEcdsa => "ECDSA-SK",
        _ => "ECDSA",
    };

    /// <summary>The curve of an ecdsa-sha2-* type and its size in bits, or null for another type.</summary>
    private static (string Name, int Bits)? CurveOf(string type) => type switch
    {
        EcdsaPrefix + "nistp256" => ("nistp256", 256),
        EcdsaPrefix + "nistp384" => ("nistp384", 384),
        EcdsaPrefix + "nistp521" => ("nistp521", 521),
        _ => null,
    };

    /// <summary>Checks <paramref name="blob"/> against <paramref name="type"/>; <paramref name="bits"/> is the key size `ssh-keygen -l` shows.</summary>
    public static KeyProblem Check(string type, ReadOnlySpan<byte> blob, out int bits)
    {
        bits = 0;
        var r = new SpanReader(blob);
        if (!TryReadString(ref r, out ReadOnlySpan<byte> embedded, 64))
        {
            return KeyProblem.Malformed;
        }

        if (!embedded.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(type)))
        {
            return KeyProblem.TypeMismatch;
        }

        bool ok;
        switch (type)
        {
            case Ed25519:
                ok = TryReadString(ref r, out ReadOnlySpan<byte> pk, 32) && pk.Length == 32;
                bits = 256;
                break;
            case SkEd25519:
                ok = TryReadString(ref r, out pk, 32) && pk.Length == 32 && TryReadString(ref r, out _, MaxApplicationBytes);
                bits = 256;
                break;
            case SkEcdsa:
                ok = TryReadPoint(ref r, "nistp256", 32) && TryReadString(ref r, out _, MaxApplicationBytes);
                bits = 256;
                break;
            case Rsa:
                return CheckRsa(ref r, out bits);
            default:
                (string name, int curveBits) = CurveOf(type)!.Value;
                ok = TryReadPoint(ref r, name, (curveBits + 7) / 8);
                bits = curveBits;
                break;
        }

        return ok && r.IsAtEnd ? KeyProblem.None : KeyProblem.Malformed;
    }

    /// <summary>RSA: mpint e (positive, odd), mpint n (positive, at least MinRsaBits, at most MaxRsaBits), nothing after.</summary>
    private static KeyProblem CheckRsa(ref SpanReader r, out int bits)
    {
        bits = 0;
        if (!TryReadString(ref r, out ReadOnlySpan<byte> e, 16) || !IsPositiveMpint(e) || (e[^1] & 1) == 0
            || !TryReadString(ref r, out ReadOnlySpan<byte> n, (MaxRsaBits / 8) + 1) || !IsPositiveMpint(n) || !r.IsAtEnd)
        {
            return KeyProblem.Malformed;
        }

        ReadOnlySpan<byte> magnitude = n[0] == 0 ? n[1..] : n;
        bits = (magnitude.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)magnitude[0]) + 24;
        return bits < SshPublicKey.MinRsaBits ? KeyProblem.WeakRsa : KeyProblem.None;
    }

    /// <summary>A positive mpint in its minimal form (RFC 4251 §5): no sign bit, no superfluous leading zero.</summary>
    private static bool IsPositiveMpint(ReadOnlySpan<byte> value) =>
        value.Length > 0 && (value[0] & 0x80) == 0 && (value[0] != 0 || (value.Length > 1 && (value[1] & 0x80) != 0));

    /// <summary>string curve name (must be <paramref name="curve"/>), string Q: an uncompressed point 0x04 | X | Y.</summary>
    private static bool TryReadPoint(ref SpanReader r, string curve, int coordinateBytes) =>
        TryReadString(ref r, out ReadOnlySpan<byte> name, 16) && name.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(curve))
        && TryReadString(ref r, out ReadOnlySpan<byte> q, 1 + (2 * coordinateBytes)) && q.Length == 1 + (2 * coordinateBytes) && q[0] == 0x04;

    /// <summary>u32 length and that many bytes, at most <paramref name="maxLength"/>.</summary>
    private static bool TryReadString(ref SpanReader r, out ReadOnlySpan<byte> value, int maxLength)
    {
        value = default;
        return r.TryReadUInt32(out uint length) && length <= (uint)maxLength && r.TryReadBytes((int)length, out value);
    }
}
