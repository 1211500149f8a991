// One clipboard content as tallow moves it (protocol.md "Clipboard"): a type from ClipMime.Known
// and its bytes. Its fingerprint (SHA-256 over type and bytes) is what `tallow clip --watch`
// compares to tell new content from content it already sent or received (ClipEchoGuard).
using System.Security.Cryptography;
using System.Text;
using Tallow.Wire;

namespace Tallow.Protocol.Clip;

public sealed record ClipContent(string Type, byte[] Bytes)
{
    public bool IsText => ClipMime.IsText(Type);

    /// <summary>SHA-256 over the type, a zero byte and the bytes.</summary>
    public byte[] Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes(Type));
        hash.AppendData([0]);
        hash.AppendData(Bytes);
        return hash.GetHashAndReset();
    }

    /// <summary>Text content must be valid UTF-8 (what the peer sends is checked before it reaches a clipboard or a terminal).</summary>
    public bool IsWellFormed => !IsText || System.Text.Unicode.Utf8.IsValid(Bytes);

    /// <summary>"text" or the MIME type, for messages.</summary>
    public string Kind => IsText ? "text" : Type;
}
