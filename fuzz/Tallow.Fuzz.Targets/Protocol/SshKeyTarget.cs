// Target "ssh-key": what `tallow ssh invite` takes from its peer (protocol.md "SSH key exchange").
// A selector byte picks: the SshKey / SshKeyResult record bodies (false on bad input, what parses
// encodes back to its bytes), or the rest as the key line itself, through SshPublicKey.TryParse and
// KeyOfAuthorizedLine: never a throw, and an accepted key is no private key, re-parses from its own
// Line to the same key material, and has an ssh-keygen-shaped fingerprint.
using System.Text;
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol.Ssh;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class SshKeyTarget
{
    public static readonly FuzzTarget SshKey = new("ssh-key", "SshKeyMessage/SshKeyResultMessage.TryParse, SshPublicKey.TryParse", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<byte> body = data[1..];
        switch (data[0] % 3)
        {
            case 0:
                if (SshKeyMessage.TryParse(body, out SshKeyMessage key))
                {
                    FuzzInvariantException.Check(key.ToBytes().AsSpan().SequenceEqual(body), "SshKey: does not encode back to its bytes");
                    CheckLine(key.Line);
                }

                break;
            case 1:
                if (SshKeyResultMessage.TryParse(body, out SshKeyResultMessage result))
                {
                    FuzzInvariantException.Check(Enum.IsDefined(result.Status), "SshKeyResult: unknown status accepted");
                    FuzzInvariantException.Check(result.ToBytes().AsSpan().SequenceEqual(body), "SshKeyResult: does not encode back to its bytes");
                }

                break;
            default:
                CheckLine(Encoding.UTF8.GetString(body));
                break;
        }
    }

    private static void CheckLine(string line)
    {
        _ = SshPublicKey.KeyOfAuthorizedLine(line);
        if (SshPublicKey.TryParse(line, out SshPublicKey? key) != KeyProblem.None)
        {
            FuzzInvariantException.Check(key is null, "SshPublicKey: a key returned with a problem");
            return;
        }

        FuzzInvariantException.Check(key is not null && !SshPublicKey.LooksPrivate(line), "SshPublicKey: accepted a private key or returned no key");
        FuzzInvariantException.Check(SshPublicKey.TryParse(key!.Line, out SshPublicKey? again) == KeyProblem.None && again!.SameKeyAs(key), "SshPublicKey: its Line does not parse back to the same key");
        FuzzInvariantException.Check(key.Fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) && key.Fingerprint.Length == 50, "SshPublicKey: fingerprint not shaped like ssh-keygen's");
    }

    public static IEnumerable<byte[]> Seeds()
    {
        string ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICVEpQxFay90o+tsX27agpqVblQJVNQBs33Ro1x0Ew9z demo@laptop";
        string ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGsX0fLhLEJH+Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT+NC4v4af5uO5+tKfA+eFivOM1drMV7Oy7ZAaDe/UfU= point";
        yield return Encoded.Tagged(0, new SshKeyMessage(ed25519).ToBytes());
        yield return Encoded.Tagged(0, new SshKeyMessage(ecdsa).ToBytes());
        yield return Encoded.Tagged(1, new SshKeyResultMessage(SshKeyStatus.Installed, "the key was installed.").ToBytes());
        yield return Encoded.Tagged(1, new SshKeyResultMessage(SshKeyStatus.Refused, "the key was refused: it is a PRIVATE key.").ToBytes());
        yield return Encoded.Tagged(2, Encoding.UTF8.GetBytes(ed25519 + "\n"));
        yield return Encoded.Tagged(2, Encoding.UTF8.GetBytes("no-pty,command=\"id\" " + ecdsa));
        yield return Encoded.Tagged(2, Encoding.UTF8.GetBytes("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n"));
    }
}
