// One OpenSSH public key as `tallow ssh` exchanges it: the single line of a `.pub` file,
// "TYPE BASE64 [COMMENT]" (sshd(8) AUTHORIZED_KEYS FILE FORMAT, without options). Parsing is
// bounded and never throws: text from a file or from the peer either becomes a key or a
// KeyProblem with words for the user. Refused: private keys (PEM "-----BEGIN ... PRIVATE KEY-----",
// the OpenSSH format, PuTTY files), option prefixes (a key that runs a command or skips checks is
// not a plain key), control characters, unknown or certificate types, non-canonical base64, a blob
// whose embedded type differs from the line's (SshKeyBlob), RSA under 2048 bits. The fingerprint
// is `ssh-keygen -lf`'s: "SHA256:" and the unpadded base64 of SHA-256 over the blob.
using System.Security.Cryptography;

namespace Tallow.Protocol.Ssh;

/// <summary>Why a text is not a public key tallow will send or install.</summary>
public enum KeyProblem
{
    None,
    Empty,
    TooLong,
    PrivateKey,
    SeveralLines,
    ControlCharacter,
    Options,
    UnknownType,
    BadBase64,
    Malformed,
    TypeMismatch,
    WeakRsa,
}

/// <summary>A validated public key: its type name, decoded blob, comment (not yet cleaned for a terminal) and size in bits.</summary>
public sealed record SshPublicKey(string Type, byte[] Blob, string Comment, int Bits)
{
    /// <summary>Longest line accepted (characters): a 16384-bit RSA key with a long comment fits.</summary>
    public const int MaxLineLength = 8 * 1024;

    /// <summary>Smallest RSA modulus accepted, as OpenSSH's own default minimum.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>`ssh-keygen -lf`'s fingerprint: SHA256:unpadded base64 of the blob's SHA-256.</summary>
    public string Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Blob)).TrimEnd('=');

    /// <summary>`ssh-keygen -lf`'s name for the type: ED25519, ECDSA, RSA, ED25519-SK, ECDSA-SK.</summary>
    public string Label => SshKeyBlob.LabelOf(Type);

    /// <summary>The line written to authorized_keys and sent to the peer: "type base64[ comment]".</summary>
    public string Line => Comment.Length > 0 ? $"{Type} {Convert.ToBase64String(Blob)} {Comment}" : $"{Type} {Convert.ToBase64String(Blob)}";

    /// <summary>Same key material (type and blob), whatever the comment.</summary>
    public bool SameKeyAs(SshPublicKey other) => Type == other.Type && Blob.AsSpan().SequenceEqual(other.Blob);

    /// <summary>Parses the text of a `.pub` file or a key line; <paramref name="key"/> is set only when the result is <see cref="KeyProblem.None"/>.</summary>
    public static KeyProblem TryParse(string? text, out SshPublicKey? key)
    {
        key = null;
        if (text is null || text.Length == 0)
        {
            return KeyProblem.Empty;
        }

        if (LooksPrivate(text))
        {
            return KeyProblem.PrivateKey;
        }

        if (text.Length > MaxLineLength)
        {
            return KeyProblem.TooLong;
        }

        string line = text.TrimEnd('\n', '\r', ' ');
        if (line.Contains('\n', StringComparison.Ordinal))
        {
            return KeyProblem.SeveralLines;
        }

        if (line.Trim().Length == 0)
        {
            return KeyProblem.Empty;
        }

        if (HasControlOrBrokenText(line))
        {
            return KeyProblem.ControlCharacter;
        }

        string[] fields = line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (!SshKeyBlob.IsKnownType(fields[0]))
        {
            return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Any(SshKeyBlob.IsKnownType) ? KeyProblem.Options : KeyProblem.UnknownType;
        }

        if (fields.Length < 2)
        {
            return KeyProblem.Malformed;
        }

        byte[] blob = new byte[fields[1].Length * 3 / 4];
        if (!Convert.TryFromBase64String(fields[1], blob, out int length) || Convert.ToBase64String(blob, 0, length) != fields[1])
        {
            return KeyProblem.BadBase64;
        }

        blob = blob[..length];
        KeyProblem shape = SshKeyBlob.Check(fields[0], blob, out int bits);
        if (shape != KeyProblem.None)
        {
            return shape;
        }

        key = new SshPublicKey(fields[0], blob, fields.Length > 2 ? fields[2].Trim() : string.Empty, bits);
        return KeyProblem.None;
    }

    /// <summary>
    /// The key material of one authorized_keys line, options and comment aside (a key already
    /// there may carry options); null for comments, blank lines and anything else.
    /// </summary>
    public static (string Type, byte[] Blob)? KeyOfAuthorizedLine(string line)
    {
        if (line.Length > 64 * 1024)
        {
            return null;
        }

        string[] tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < tokens.Length && i < 64; i++)
        {
            if (SshKeyBlob.IsKnownType(tokens[i]) && TryDecode(tokens[i + 1]) is byte[] blob)
            {
                return (tokens[i], blob);
            }
        }

        return null;
    }

    /// <summary>A control character (C0, DEL, C1) or a lone surrogate anywhere in the line.</summary>
    private static bool HasControlOrBrokenText(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]))
            {
                i++;
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[]? TryDecode(string base64)
    {
        byte[] blob = new byte[base64.Length * 3 / 4];
        return Convert.TryFromBase64String(base64, blob, out int length) ? blob[..length] : null;
    }

    /// <summary>A private key in any of the formats ssh-keygen, OpenSSL and PuTTY write (checked anywhere in the text).</summary>
    public static bool LooksPrivate(string text) =>
        text.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
        || text.Contains("PuTTY-User-Key-File", StringComparison.Ordinal)
        || text.Contains("SSH2 ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);

    /// <summary>What is wrong, in words for the user (the fix included).</summary>
    public static string Describe(KeyProblem problem) => problem switch
    {
        KeyProblem.Empty => "it is empty: give the public key, the contents of a .pub file",
        KeyProblem.TooLong => $"it is longer than {MaxLineLength} characters: a public key line is much shorter",
        KeyProblem.PrivateKey => "it is a PRIVATE key, which must never leave its computer: give the .pub file beside it",
        KeyProblem.SeveralLines => "it holds several lines: give one public key (one line of a .pub file)",
        KeyProblem.ControlCharacter => "it contains control characters: a public key line is plain text",
        KeyProblem.Options => "it starts with authorized_keys options: give the plain key (type, key, comment)",
        KeyProblem.UnknownType => "it is not an OpenSSH public key (expected ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa or an sk- key)",
        KeyProblem.BadBase64 => "its key part is not valid base64",
        KeyProblem.Malformed => "its key data is malformed",
        KeyProblem.TypeMismatch => "the type named on the line differs from the type inside the key data",
        KeyProblem.WeakRsa => $"it is an RSA key shorter than {MinRsaBits} bits: make a new key with 'ssh-keygen -t ed25519'",
        _ => "it is a valid public key",
    };

    public override string ToString() => $"{Bits} {Fingerprint} ({Label})";
}
