// `tallow completion bash`: a bash completion script written from the command tree (CompletionTree).
// The script walks the words typed so far to find the command ("relay serve"), skipping options and
// their values, then offers subcommands, options, option values (paths, folders, fixed choices) or
// the command's arguments (paths, or code words after the number: "7-amber-lu" -> "7-amber-lunar").
// The word list is written into the script: completing a code never runs a process whose arguments
// would show part of the code in the process list.
using System.Text;

namespace Tallow.Cli.Completion;

internal static class BashCompletion
{
    public static string Write(CompletionNode root, IReadOnlyList<string> codeWords)
    {
        var nodes = root.SelfAndDescendants().ToList();
        var s = new StringBuilder();
        s.Append("# bash completion for tallow, written by `tallow completion bash` from its own command tree.\n");
        s.Append("# Load it with: source <(tallow completion bash)   (or install it as\n");
        s.Append("# /usr/share/bash-completion/completions/tallow). Regenerate it after upgrading tallow.\n\n");
        s.Append(ShellWords.WordListAssignment("_tallow_code_words=", codeWords, "'", "'"));

        s.Append("\n_tallow_subcommands() {\n  case \"$1\" in\n");
        foreach (CompletionNode node in nodes.Where(n => n.Children.Count > 0))
        {
            s.Append($"    '{node.Key}') echo '{string.Join(' ', node.Children.Select(c => c.Path[^1]))}' ;;\n");
        }

        s.Append("  esac\n}\n\n_tallow_options() {\n  case \"$1\" in\n");
        foreach (CompletionNode node in nodes.Where(n => n.Options.Count > 0))
        {
            s.Append($"    '{node.Key}') echo '{string.Join(' ', node.Options.SelectMany(o => o.Names))}' ;;\n");
        }

        // Kind of an option's value (empty: a flag). Choices follow the kind: "choice auto zstd none".
        s.Append("  esac\n}\n\n_tallow_option_value() {\n  case \"$1|$2\" in\n");
        foreach (CompletionNode node in nodes)
        {
            foreach (CompletionOption option in node.Options.Where(o => o.TakesValue))
            {
                string patterns = string.Join('|', option.Names.Select(n => $"'{node.Key}|{n}'"));
                string value = option.Value == ValueKind.Choice ? $"choice {string.Join(' ', option.Choices)}" : KindWord(option.Value);
                s.Append($"    {patterns}) echo '{value}' ;;\n");
            }
        }

        s.Append("  esac\n}\n\n_tallow_arguments() {\n  case \"$1\" in\n");
        foreach (CompletionNode node in nodes.Where(n => n.Arguments != ValueKind.None))
        {
            string value = node.Arguments == ValueKind.Choice ? $"choice {string.Join(' ', node.ArgumentChoices)}" : KindWord(node.Arguments);
            s.Append($"    '{node.Key}') echo '{value}' ;;\n");
        }

        s.Append("  esac\n}\n");
        s.Append(Functions);
        return s.ToString();
    }

    private static string KindWord(ValueKind kind) => kind switch
    {
        ValueKind.Path => "path",
        ValueKind.Folder => "folder",
        ValueKind.Code => "code",
        ValueKind.Choice => "choice",
        _ => "text",
    };

    private const string Functions = """

# _tallow_complete_value KIND CUR [CHOICES...]: fills COMPREPLY with what fits CUR.
_tallow_complete_value() {
  local kind=$1 cur=$2 prefix partial w
  shift 2
  case "$kind" in
    path)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    folder)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    choice)
      mapfile -t COMPREPLY < <(compgen -W "$*" -- "$cur") ;;
    code)
      # "7-amber-lu": keep everything up to the last '-', complete the word after it. A word on
      # its own ("7 amber lu") completes too, once the number (or another word) came before it.
      if [[ $cur == *-* ]]; then
        prefix="${cur%-*}-"; partial="${cur##*-}"
      elif [[ ${_tallow_code_seen:-0} -gt 0 && -n $cur ]]; then
        prefix=""; partial=$cur
      else
        return 0
      fi
      [[ $partial =~ ^[a-z]*$ ]] || return 0
      for w in $(compgen -W "$_tallow_code_words" -- "$partial"); do
        COMPREPLY+=("$prefix$w")
      done ;;
  esac
  return 0
}

_tallow() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="" i=1 w value="" only_args=0 subs
  local _tallow_code_seen=0
  COMPREPLY=()
  # "--out=" arrives as "--out" "=" (bash splits at '='): the value is what follows the "=".
  if [[ $cur == "=" ]]; then cur=""; fi
  while (( i < COMP_CWORD )); do
    w="${COMP_WORDS[i]}"
    if (( only_args )); then
      _tallow_code_seen=$((_tallow_code_seen + 1))
    elif [[ $w == "--" ]]; then
      only_args=1
    elif [[ $w == -* ]]; then
      value=$(_tallow_option_value "$path" "$w")
      if [[ -n $value ]]; then
        # The option's value: the next word, or the one after a "=".
        if [[ ${COMP_WORDS[i+1]} == "=" ]] && (( i + 1 < COMP_CWORD )); then i=$((i + 1)); fi
        if (( i + 1 == COMP_CWORD )); then
          # shellcheck disable=SC2086
          set -- $value
          _tallow_complete_value "$1" "$cur" "${@:2}"
          return 0
        fi
        i=$((i + 1))
      fi
    else
      subs=" $(_tallow_subcommands "$path") "
      if (( _tallow_code_seen == 0 )) && [[ $subs == *" $w "* ]]; then
        path="${path:+$path }$w"
      else
        _tallow_code_seen=$((_tallow_code_seen + 1))
      fi
    fi
    i=$((i + 1))
  done

  if (( ! only_args )) && [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_tallow_options "$path")" -- "$cur")
    return 0
  fi
  if (( _tallow_code_seen == 0 )); then
    mapfile -t COMPREPLY < <(compgen -W "$(_tallow_subcommands "$path")" -- "$cur")
  fi
  local kind
  kind=$(_tallow_arguments "$path")
  if [[ -n $kind && ${#COMPREPLY[@]} -eq 0 ]]; then
    # shellcheck disable=SC2086
    set -- $kind
    _tallow_complete_value "$1" "$cur" "${@:2}"
  fi
  return 0
}

complete -F _tallow tallow

""";
}
