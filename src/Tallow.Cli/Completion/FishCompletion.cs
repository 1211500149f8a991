// `tallow completion fish`: fish completions written from the command tree (CompletionTree). A helper
// finds the command typed so far ("relay serve") from the subcommand names; each option and argument
// is offered under that command only, with files, folders, fixed choices or code words as its value.
// The word list is in the script, so completing a code runs no process.
using System.Text;

namespace Tallow.Cli.Completion;

internal static class FishCompletion
{
    public static string Write(CompletionNode root, IReadOnlyList<string> codeWords)
    {
        var nodes = root.SelfAndDescendants().ToList();
        var s = new StringBuilder();
        s.Append("# fish completion for tallow, written by `tallow completion fish` from its own command tree.\n");
        s.Append("# Install it as ~/.config/fish/completions/tallow.fish (the .deb uses\n");
        s.Append("# /usr/share/fish/vendor_completions.d), or: tallow completion fish | source\n\n");
        s.Append(ShellWords.WordListAssignment("set -g __tallow_code_words ", codeWords, string.Empty, string.Empty, " \\\n"));

        // __tallow_command: the subcommand words typed so far, joined by spaces ("" at the top).
        s.Append("\nfunction __tallow_command\n    set -l command ''\n    for token in (commandline -opc)[2..-1]\n        switch $command\n");
        foreach (CompletionNode node in nodes.Where(n => n.Children.Count > 0))
        {
            string names = string.Join(' ', node.Children.Select(c => c.Path[^1]));
            string next = node.Path.Count == 0 ? "$token" : $"'{node.Key} '$token";
            s.Append($"            case '{node.Key}'\n                contains -- $token {names}; and set command {next}\n");
        }

        s.Append("        end\n    end\n    echo $command\nend\n");
        s.Append(Helpers);
        s.Append("\ncomplete -c tallow -f\n");

        foreach (CompletionNode node in nodes)
        {
            string when = $"-n '__tallow_is \"{node.Key}\"'";
            foreach (CompletionNode child in node.Children)
            {
                s.Append($"complete -c tallow {when} -a {child.Path[^1]} -d '{Escape(child.Description)}'\n");
            }

            foreach (CompletionOption option in node.Options)
            {
                s.Append($"complete -c tallow {when}");
                foreach (string name in option.Names)
                {
                    s.Append(name.StartsWith("--", StringComparison.Ordinal) ? $" -l {name[2..]}" : name.Length == 2 ? $" -s {name[1..]}" : $" -o {name[1..]}");
                }

                s.Append($" -d '{Escape(option.Description)}'").Append(ValueFlags(option.Value, option.Choices)).Append('\n');
            }

            if (node.Arguments != ValueKind.None && node.Arguments != ValueKind.Text)
            {
                s.Append($"complete -c tallow {when}").Append(ValueFlags(node.Arguments, node.ArgumentChoices)).Append('\n');
            }
        }

        return s.ToString();
    }

    private static string ValueFlags(ValueKind kind, IReadOnlyList<string> choices) => kind switch
    {
        ValueKind.None => string.Empty,
        ValueKind.Path => " -r -F",
        ValueKind.Folder => " -x -a '(__fish_complete_directories)'",
        ValueKind.Code => " -x -a '(__tallow_code_words)'",
        ValueKind.Choice => $" -x -a '{string.Join(' ', choices)}'",
        _ => " -x",
    };

    // Text inside '...' for fish: backslash and quote are escaped.
    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private const string Helpers = """

function __tallow_is
    test (__tallow_command) = "$argv[1]"
end

# Code words: "7-amber-lu" completes the word after the last '-'; a word on its own completes too.
# Nothing is offered before the number, or for an option.
function __tallow_code_words
    set -l token (commandline -ct)
    string match -q -- '-*' $token; and return 0
    set -l prefix (string match -r -- '^.*-' $token)
    if test -z "$prefix"
        string match -qr -- '^[a-z]' $token; or return 0
        set prefix ''
    end
    printf '%s\n' "$prefix"$__tallow_code_words
end

""";
}
