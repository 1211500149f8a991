// `tallow completion zsh`: a zsh completion function (#compdef tallow) written from the command tree
// (CompletionTree): one _arguments call per command with every option, its description and what its
// value is (files, folders, fixed choices), subcommands through _describe, code words after the number.
// The word list is in the script, so completing a code runs no process.
using System.Text;

namespace Tallow.Cli.Completion;

internal static class ZshCompletion
{
    public static string Write(CompletionNode root, IReadOnlyList<string> codeWords)
    {
        var s = new StringBuilder();
        s.Append("#compdef tallow\n");
        s.Append("# zsh completion for tallow, written by `tallow completion zsh` from its own command tree.\n");
        s.Append("# Install it as _tallow in a folder of $fpath (the .deb uses /usr/share/zsh/vendor-completions),\n");
        s.Append("# or load it with: source <(tallow completion zsh). Regenerate it after upgrading tallow.\n\n");
        s.Append(ShellWords.WordListAssignment("_tallow_code_words=", codeWords, "(", ")"));
        s.Append(CodeFunction);
        foreach (CompletionNode node in root.SelfAndDescendants())
        {
            WriteCommand(s, node);
        }

        s.Append("""
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _tallow "$@"
else
  compdef _tallow tallow
fi

""");
        return s.ToString();
    }

    private static string FunctionName(CompletionNode node) =>
        node.Path.Count == 0 ? "_tallow" : "_tallow_" + string.Join('_', node.Path.Select(p => p.Replace('-', '_')));

    private static void WriteCommand(StringBuilder s, CompletionNode node)
    {
        s.Append($"\n{FunctionName(node)}() {{\n");
        if (node.Children.Count > 0)
        {
            s.Append("  local curcontext=\"$curcontext\" state line\n  _arguments -C -s -S : \\\n");
        }
        else
        {
            s.Append("  _arguments -s -S : \\\n");
        }

        foreach (CompletionOption option in node.Options)
        {
            s.Append("    ").Append(OptionSpec(option)).Append(" \\\n");
        }

        if (node.Children.Count > 0)
        {
            s.Append("    '1: :->command' \\\n    '*:: :->argument'\n");
            s.Append("  case $state in\n    command)\n      local -a commands\n      commands=(\n");
            foreach (CompletionNode child in node.Children)
            {
                s.Append($"        '{child.Path[^1]}:{Escape(child.Description)}'\n");
            }

            s.Append("      )\n      _describe -t commands 'tallow command' commands ;;\n    argument)\n      case $line[1] in\n");
            foreach (CompletionNode child in node.Children)
            {
                s.Append($"        {child.Path[^1]}) {FunctionName(child)} ;;\n");
            }

            s.Append("      esac ;;\n  esac\n}\n");
            return;
        }

        if (node.Arguments != ValueKind.None)
        {
            string repeat = node.ManyArguments ? "*" : string.Empty;
            s.Append($"    '{repeat}:{Escape(node.ArgumentName)}:{Action(node.Arguments, node.ArgumentChoices)}'\n");
        }
        else
        {
            s.Append("    && return\n");
        }

        s.Append("}\n");
    }

    // '(--out -o)'{--out,-o}'[Folder to save into]:FOLDER:_files -/'
    private static string OptionSpec(CompletionOption option)
    {
        string value = option.TakesValue ? $":{Escape(option.ValueName)}:{Action(option.Value, option.Choices)}" : string.Empty;
        string description = $"[{Escape(option.Description)}]";
        string repeat = option.Repeatable ? "*" : string.Empty;
        if (option.Names.Count == 1)
        {
            return $"'{repeat}{option.Names[0]}{description}{value}'";
        }

        string exclusive = option.Repeatable ? string.Empty : $"'({string.Join(' ', option.Names)})'";
        return $"{exclusive}{repeat}{{{string.Join(',', option.Names)}}}'{description}{value}'";
    }

    private static string Action(ValueKind kind, IReadOnlyList<string> choices) => kind switch
    {
        ValueKind.Path => "_files",
        ValueKind.Folder => "_files -/",
        ValueKind.Code => "_tallow_code",
        ValueKind.Choice => $"({string.Join(' ', choices)})",
        _ => " ",
    };

    // Text inside '...' and inside _arguments' [description] or a "name:description" pair.
    private static string Escape(string text) =>
        ShellWords.PosixSingleQuoted(text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("[", "\\[", StringComparison.Ordinal)
            .Replace("]", "\\]", StringComparison.Ordinal)
            .Replace(":", "\\:", StringComparison.Ordinal));

    private const string CodeFunction = """

# Code words: "7-amber-lu" completes the word after the last '-'; a word on its own ("lu", after the
# number given as its own argument) completes too. Nothing is offered before the number, or for an option.
_tallow_code() {
  if [[ $PREFIX == -* ]]; then
    return 1
  elif [[ $PREFIX == *-* ]]; then
    compset -P '*-'
  elif [[ $PREFIX != [a-z]* ]]; then
    return 1
  fi
  compadd -a _tallow_code_words
}

""";
}
