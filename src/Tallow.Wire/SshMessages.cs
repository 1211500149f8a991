// The SSH key exchange (protocol.md "SSH key exchange"; `tallow ssh invite` / `tallow ssh accept`):
//   accept → invite: SshKey{key line}             one OpenSSH public key line ("type base64 comment")
//   invite → accept: SshKeyResult{u8 status, text} what became of it, and why in words
// The key line is only carried here: what it may hold is checked by Tallow.Protocol.Ssh.SshPublicKey
// on both sides. Parsers never throw and reject trailing bytes and unknown statuses.
namespace Tallow.Wire;

public enum SshKeyStatus : byte
{
    /// <summary>The key was appended to authorized_keys.</summary>
    Installed = 0,

    /// <summary>authorized_keys already held the key: nothing was written.</summary>
    AlreadyPresent = 1,

    /// <summary>The inviting user said no.</summary>
    Declined = 2,

    /// <summary>The key was not acceptable (private, malformed, weak) or could not be installed.</summary>
    Refused = 3,
}

public readonly record struct SshKeyMessage(string Line)
{
    /// <summary>Longest key line in UTF-8 bytes: a 16384-bit RSA key with a long comment fits.</summary>
    public const int MaxLineBytes = 8 * 1024;

    public byte[] ToBytes()
    {
        byte[] body = new byte[SpanWriter.StringSize(Line)];
        var w = new SpanWriter(body);
        w.WriteString(Line);
        return body;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out SshKeyMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadString(MaxLineBytes, out string line) || !r.IsAtEnd)
        {
            return false;
        }

        message = new SshKeyMessage(line);
        return true;
    }
}

public readonly record struct SshKeyResultMessage(SshKeyStatus Status, string Text)
{
    /// <summary>Longest explanation in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 1024;

    public byte[] ToBytes()
    {
        string text = Text;
        while (System.Text.Encoding.UTF8.GetByteCount(text) > MaxTextBytes)
        {
            text = text[..(text.Length / 2)];
        }

        byte[] body = new byte[1 + SpanWriter.StringSize(text)];
        var w = new SpanWriter(body);
        w.WriteByte((byte)Status);
        w.WriteString(text);
        return body;
    }

    public static bool TryParse(ReadOnlySpan<byte> body, out SshKeyResultMessage message)
    {
        message = default;
        var r = new SpanReader(body);
        if (!r.TryReadByte(out byte status) || status > (byte)SshKeyStatus.Refused
            || !r.TryReadString(MaxTextBytes, out string text) || !r.IsAtEnd)
        {
            return false;
        }

        message = new SshKeyResultMessage((SshKeyStatus)status, text);
        return true;
    }
}
