// Helpers the completion scripts share: the code word list as a quoted, wrapped literal, and
// quoting of descriptions for shells' single-quoted strings.
using System.Text;

namespace Tallow.Cli.Completion;

internal static class ShellWords
{
    private const int LineWidth = 100;

    /// <summary>
    /// "<paramref name="head"/><paramref name="open"/>w1 w2 ...<paramref name="close"/>" with a line break
    /// about every 100 characters (inside the quotes, where a newline separates words like a space).
    /// Only lowercase ASCII words are written; anything else is left out. <paramref name="lineBreak"/> is
    /// what ends a line: "\n" inside quotes or parentheses, " \\\n" (a continued line) for fish.
    /// </summary>
    public static string WordListAssignment(string head, IEnumerable<string> words, string open, string close, string lineBreak = "\n")
    {
        var s = new StringBuilder(head).Append(open);
        int lineLength = 0;
        bool first = true;
        foreach (string word in words.Where(w => w.Length > 0 && w.All(char.IsAsciiLetterLower)))
        {
            if (!first)
            {
                if (lineLength + word.Length + 1 > LineWidth)
                {
                    s.Append(lineBreak);
                    lineLength = 0;
                }
                else
                {
                    s.Append(' ');
                    lineLength++;
                }
            }

            s.Append(word);
            lineLength += word.Length;
            first = false;
        }

        return s.Append(close).Append('\n').ToString();
    }

    /// <summary>
    /// <paramref name="text"/> for inside '...' of a POSIX shell (zsh): each ' becomes '\''.
    /// </summary>
    public static string PosixSingleQuoted(string text) => text.Replace("'", "'\\''", StringComparison.Ordinal);
}
