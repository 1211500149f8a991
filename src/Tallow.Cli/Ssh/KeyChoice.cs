// Which public key `tallow ssh accept` sends: --key FILE, else the one valid key in ~/.ssh/*.pub,
// else the user picks among several on the terminal (without one: a usage error naming them and
// --key). Everything is checked before any connection: a private key (the file named by mistake,
// or private-key text in a .pub) is refused with the fix and never read further, let alone sent.
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Ssh;

namespace Tallow.Cli.Ssh;

internal static class KeyChoice
{
    /// <summary>Largest key file read: a private key named by mistake is still recognised, nothing bigger is a key.</summary>
    private const int MaxFileBytes = 64 * 1024;

    /// <summary>At most this many .pub files in ~/.ssh are looked at.</summary>
    private const int MaxCandidates = 100;

    private const int MaxAttempts = 5;

    public static async Task<SshPublicKey> ResolveAsync(string? keyFile, Reporter reporter, CancellationToken ct)
    {
        if (keyFile is not null)
        {
            return Load(keyFile, out KeyProblem problem) ?? throw new TallowException(FailureKind.Usage,
                $"{keyFile} cannot be sent: {SshPublicKey.Describe(problem)}{(problem == KeyProblem.PrivateKey && File.Exists(keyFile + ".pub") ? $" (--key {keyFile}.pub)" : string.Empty)}. Nothing was sent.");
        }

        string folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh");
        List<(string File, SshPublicKey Key)> keys = Candidates(folder);
        if (keys.Count == 0)
        {
            throw new TallowException(FailureKind.Usage,
                $"no public key found in {folder} (*.pub): make one with 'ssh-keygen -t ed25519', or name one with --key FILE.");
        }

        if (keys.Count == 1)
        {
            return keys[0].Key;
        }

        string list = string.Join('\n', keys.Select((k, i) => $"  {i + 1}) {Describe(k.Key)}  [{Path.GetFileName(k.File)}]"));
        if (!SafetyCheck.CanAsk)
        {
            throw new TallowException(FailureKind.Usage, $"{folder} holds several public keys: choose one with --key FILE.\n{list}");
        }

        reporter.Essential($"Public keys in {folder}:\n{list}");
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            Console.Error.Write($"Which key should be sent? [1-{keys.Count}] ");
            string? answer = await YesNoPrompt.ReadLineAsync(ct).ConfigureAwait(false);
            if (answer is null)
            {
                break;
            }

            if (int.TryParse(answer.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pick) && pick >= 1 && pick <= keys.Count)
            {
                return keys[pick - 1].Key;
            }
        }

        throw new TallowException(FailureKind.Usage, "no key chosen: nothing was sent. Name the key with --key FILE.");
    }

    /// <summary>"ED25519 256 SHA256:… comment", the comment made safe for the terminal.</summary>
    public static string Describe(SshPublicKey key) =>
        $"{key.Label} {key.Bits} {key.Fingerprint}" + (key.Comment.Length > 0 ? " " + TerminalText.Clean(key.Comment.Length > 200 ? key.Comment[..200] + TerminalText.Ellipsis : key.Comment) : string.Empty);

    /// <summary>The valid public keys among ~/.ssh/*.pub, by file name.</summary>
    private static List<(string File, SshPublicKey Key)> Candidates(string folder)
    {
        var keys = new List<(string, SshPublicKey)>();
        if (!Directory.Exists(folder))
        {
            return keys;
        }

        foreach (string file in Directory.EnumerateFiles(folder, "*.pub").Order(StringComparer.Ordinal).Take(MaxCandidates))
        {
            try
            {
                if (Load(file, out _) is SshPublicKey key)
                {
                    keys.Add((file, key));
                }
            }
            catch (TallowException)
            {
                // An unreadable .pub is not a candidate; --key names it when it is the one.
            }
        }

        return keys;
    }

    /// <summary>The key in <paramref name="file"/>, or null with the problem (unreadable and oversized files are Malformed/TooLong).</summary>
    private static SshPublicKey? Load(string file, out KeyProblem problem)
    {
        string text;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read);
            if (stream.Length > MaxFileBytes)
            {
                problem = KeyProblem.TooLong;
                return null;
            }

            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot read {file}: {ex.Message}");
        }

        problem = SshPublicKey.TryParse(text, out SshPublicKey? key);
        return key;
    }
}
