// Where one drop-box transfer lands: OUT/<UTC yyyyMMdd-HHmmss>-<sender>, made unique with "-2",
// "-3", ... and created before anything is written. The sender's name comes from the network
// (RoomHello: printable, at most 64 bytes): only ASCII letters, digits, '-' and '_' survive, at
// most 32 of them, so the folder name can never climb out of OUT or be hidden.
using System.Globalization;
using System.Text;

namespace Tallow.Cli.DropBox;

internal static class DropBoxFolder
{
    /// <summary>Characters of the sender's name kept in the folder name.</summary>
    public const int MaxNameChars = 32;

    /// <summary>Suffixes tried before giving up (one second holds at most this many same-named senders).</summary>
    private const int MaxAttempts = 1000;

    /// <summary>The sender's name as a folder-name part: "sender" when nothing usable is left.</summary>
    public static string Sanitise(string? name)
    {
        var kept = new StringBuilder(MaxNameChars);
        foreach (char c in name ?? string.Empty)
        {
            if (kept.Length == MaxNameChars)
            {
                break;
            }

            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                kept.Append(c);
            }
            else if (c is ' ' or '.' && kept.Length > 0 && kept[^1] != '-')
            {
                kept.Append('-');
            }
        }

        string result = kept.ToString().Trim('-');
        return result.Length == 0 ? "sender" : result;
    }

    /// <summary>"20261204-143300-alice": the folder name for a transfer that started at <paramref name="utc"/>.</summary>
    public static string Name(DateTime utc, string? sender) =>
        utc.ToUniversalTime().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Sanitise(sender);

    /// <summary>Creates a new folder under <paramref name="root"/> named for this transfer (never an existing one); returns its full path.</summary>
    public static string CreateUnique(string root, DateTime utc, string? sender)
    {
        string baseName = Name(utc, sender);
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            string path = Path.Combine(root, attempt == 1 ? baseName : $"{baseName}-{attempt}");
            if (Directory.Exists(path) || File.Exists(path))
            {
                continue;
            }

            DirectoryInfo created = Directory.CreateDirectory(path);
            return created.FullName;
        }

        throw new IOException($"could not find a free folder name for '{baseName}' in '{root}'.");
    }
}
