// SHA-256 fingerprints of relay TLS certificates (DESIGN.md §5.8): the SHA-256 of the leaf
// certificate's DER bytes. Printed as 32 colon-separated upper-case hex pairs; parsed from that
// form or plain hex, any case, with an optional "sha256:" prefix. Fingerprints are public.
using System.Security.Cryptography;

namespace Tallow.Wire;

public static class CertificateFingerprint
{
    public const int Size = 32;

    /// <summary>SHA-256 of <paramref name="certificateDer"/>.</summary>
    public static byte[] Compute(ReadOnlySpan<byte> certificateDer) => SHA256.HashData(certificateDer);

    /// <summary>"AB:CD:…" form (95 characters).</summary>
    public static string Format(ReadOnlySpan<byte> fingerprint) =>
        string.Join(':', Convert.ToHexString(fingerprint).Chunk(2).Select(pair => new string(pair)));

    /// <summary>Parses a fingerprint typed by a user; false unless it is exactly 32 bytes of hex.</summary>
    public static bool TryParse(string? text, out byte[] fingerprint)
    {
        fingerprint = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim();
        if (s.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            s = s[7..];
        }

        s = s.Replace(":", string.Empty, StringComparison.Ordinal);
        if (s.Length != Size * 2 || !s.All(Uri.IsHexDigit))
        {
            return false;
        }

        fingerprint = Convert.FromHexString(s);
        return true;
    }

    /// <summary>Constant-time comparison of two fingerprints.</summary>
    public static bool Matches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> presented) =>
        expected.Length == Size && CryptographicOperations.FixedTimeEquals(expected, presented);
}
