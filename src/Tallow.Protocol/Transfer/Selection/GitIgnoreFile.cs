// Reads one .gitignore-format file (.gitignore, .git/info/exclude) into a rule list, as
// gitignore(5) describes: blank lines and '#' comments skipped, CRLF tolerated, unescaped
// trailing spaces dropped, "\#" / "\!" / "\ " escapes kept. Files are bounded (MaxBytes);
// an oversized, unreadable or symlinked file, or a bad line, is skipped with a notice.
using System.Text;

namespace Tallow.Protocol.Transfer.Selection;

public static class GitIgnoreFile
{
    /// <summary>Largest ignore file read; bigger ones are skipped with a notice.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>The rules of the file at <paramref name="path"/>; empty when it does not exist or is skipped.</summary>
    public static GlobRuleSet Read(string path, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        try
        {
            // A length of 0 is also what a FIFO or device reports: such a file is never opened (it could block).
            var info = new FileInfo(path);
            if (!info.Exists || info.Length == 0)
            {
                return GlobRuleSet.Empty;
            }

            // Like git (2.32+): a symlinked ignore file is not followed.
            if (info.LinkTarget is not null)
            {
                notice($"not reading '{path}': it is a symlink");
                return GlobRuleSet.Empty;
            }

            if (info.Length > MaxBytes)
            {
                notice($"not reading '{path}': it is larger than {MaxBytes / (1024 * 1024)} MiB");
                return GlobRuleSet.Empty;
            }

            byte[] bytes = ReadBounded(path);
            if (bytes.Length > MaxBytes)
            {
                notice($"not reading '{path}': it is larger than {MaxBytes / (1024 * 1024)} MiB");
                return GlobRuleSet.Empty;
            }

            return Parse(Encoding.UTF8.GetString(bytes), path, notice);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            notice($"not reading '{path}': {ex.Message}");
            return GlobRuleSet.Empty;
        }
    }

    /// <summary>Parses the text of an ignore file; <paramref name="source"/> names it in notices about bad lines.</summary>
    public static GlobRuleSet Parse(string text, string source, Action<string> notice)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(notice);
        var rules = new List<GlobPattern>();
        string[] lines = text.TrimStart('\uFEFF').Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = TrimTrailingSpaces(lines[n].TrimEnd('\r'));
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (GlobPattern.TryParse(line, out GlobPattern? pattern, out string error))
            {
                rules.Add(pattern!);
            }
            else
            {
                notice($"ignoring line {n + 1} of '{source}': {error}");
            }
        }

        return new GlobRuleSet(rules);
    }

    /// <summary>Drops trailing spaces unless escaped with '\' (git's trim_trailing_spaces).</summary>
    internal static string TrimTrailingSpaces(string line)
    {
        int cut = -1;
        for (int i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case ' ':
                    if (cut < 0)
                    {
                        cut = i;
                    }

                    break;
                case '\\':
                    i++;
                    cut = -1;
                    break;
                default:
                    cut = -1;
                    break;
            }
        }

        return cut < 0 ? line : line[..cut];
    }

    private static byte[] ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                break;
            }
        }

        return buffer.ToArray();
    }
}
