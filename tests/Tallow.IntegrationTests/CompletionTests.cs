// `tallow completion bash|zsh|fish`, checked in the real shells: bash sources the script and its
// completion function is driven as readline would (COMP_WORDS/COMP_CWORD, then COMPREPLY is read);
// fish answers `complete -C` queries; zsh completes typed lines with Tab in a real pty (zpty).
// The shells come from ./setup.sh; a missing shell fails the test with that hint.
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class CompletionTests
{
    private static readonly TimeSpan ShellTimeout = TimeSpan.FromSeconds(60);

    private static string WriteScript(TempDir dir, string shell)
    {
        string script = Tool.Check(ShellTimeout, Repo.TallowBinary, "completion", shell);
        string path = dir.Combine("tallow." + shell);
        File.WriteAllText(path, script);
        return path;
    }

    // A folder to complete paths in: report.pdf, photos/ and releases/.
    private static string Workspace(TempDir dir)
    {
        string work = dir.Combine("work");
        Directory.CreateDirectory(Path.Combine(work, "photos"));
        Directory.CreateDirectory(Path.Combine(work, "releases"));
        File.WriteAllText(Path.Combine(work, "report.pdf"), "pdf");
        return work;
    }

    private static void RequireShell(string shell) =>
        Assert.True(Tool.OnPath(shell), $"{shell} is not installed: ./setup.sh installs it (Debian package '{shell}')");

    [Fact]
    public void Bash_completes_commands_options_paths_and_code_words()
    {
        RequireShell("bash");
        using var dir = new TempDir();
        string script = WriteScript(dir, "bash");
        string work = Workspace(dir);

        // t WORDS...: completes the last word, prints "words => replies" (sorted, one line).
        string driver = $$"""
            set -u
            cd '{{work}}'
            source '{{script}}'
            t() {
              COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
              _tallow
              printf '%s => %s\n' "$*" "$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')"
            }
            t tallow ''
            t tallow re
            t tallow relay s
            t tallow ssh ''
            t tallow ssh accept --k
            t tallow send --co
            t tallow send --ex
            t tallow receive --ou
            t tallow receive --no-
            t tallow send rep
            t tallow send --text hi ph
            t tallow receive --out r
            t tallow receive 7-amber-zodia
            t tallow receive 7-amber-lunar-pr
            t tallow receive 7 zodia
            t tallow receive ''
            t tallow send --compress ''
            t tallow completion ''
            t tallow clip --w
            complete -p tallow
            """;
        string output = Tool.Check(ShellTimeout, "bash", "--norc", "--noprofile", "-c", driver);
        string[] lines = output.Split('\n');
        string Line(string words) => lines.FirstOrDefault(l => l.StartsWith(words + " => ", StringComparison.Ordinal))?[(words.Length + 4)..].Trim()
            ?? throw new InvalidOperationException($"no result for '{words}' in:\n{output}");

        Assert.Equal("chat clip completion config doctor drop-box history receive relay send ssh sync version watch", Line("tallow "));
        Assert.Equal("accept invite", Line("tallow ssh "));
        Assert.Equal("--key", Line("tallow ssh accept --k"));
        Assert.Equal("--watch --words", Line("tallow clip --w"));
        Assert.Equal("receive relay", Line("tallow re"));
        Assert.Equal("serve", Line("tallow relay s"));
        Assert.Equal("--code --compress --config", Line("tallow send --co"));
        Assert.Equal("--exclude", Line("tallow send --ex"));
        Assert.Equal("--out", Line("tallow receive --ou"));
        Assert.Equal("--no-history --no-p2p --no-resume", Line("tallow receive --no-"));
        Assert.Equal("report.pdf", Line("tallow send rep"));
        Assert.Equal("photos", Line("tallow send --text hi ph"));
        Assert.Equal("releases", Line("tallow receive --out r")); // folders only: not report.pdf
        Assert.Equal("7-amber-zodiac", Line("tallow receive 7-amber-zodia"));
        Assert.Contains("7-amber-lunar-prancing", Line("tallow receive 7-amber-lunar-pr").Split(' '));
        Assert.All(Line("tallow receive 7-amber-lunar-pr").Split(' '), w => Assert.StartsWith("7-amber-lunar-pr", w, StringComparison.Ordinal));
        Assert.Equal("zodiac", Line("tallow receive 7 zodia"));
        Assert.Equal(string.Empty, Line("tallow receive ")); // nothing before the number
        Assert.Equal("auto none zstd", Line("tallow send --compress "));
        Assert.Equal("bash fish zsh", Line("tallow completion "));
        Assert.Contains("complete -F _tallow tallow", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Fish_answers_completion_queries()
    {
        RequireShell("fish");
        using var dir = new TempDir();
        string script = WriteScript(dir, "fish");
        string work = Workspace(dir);
        Assert.Equal(0, Tool.Run(ShellTimeout, "fish", "--no-config", "-n", script).ExitCode);

        string Complete(string line)
        {
            string command = $"cd '{work}'; source '{script}'; complete -C '{line}'";
            ToolResult result = Tool.Run(ShellTimeout, "fish", "--no-config", "-c", command);
            Assert.True(result.ExitCode == 0 && result.Stderr.Length == 0, $"fish failed on '{line}': {result.Output}");
            return string.Join(' ', result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).Order(StringComparer.Ordinal));
        }

        Assert.Equal("send ssh sync", Complete("tallow s"));
        Assert.Equal("serve", Complete("tallow relay "));
        Assert.Equal("--code --compress --config", Complete("tallow send --co"));
        Assert.Equal("--only --out --overwrite", Complete("tallow receive --o"));
        Assert.Equal("report.pdf", Complete("tallow send rep"));
        Assert.Equal("releases/", Complete("tallow receive --out r"));
        Assert.Equal("7-amber-zodiac", Complete("tallow receive 7-amber-zodia"));
        Assert.Equal("--out", Complete("tallow receive --ou")); // no code words for an option
        Assert.Equal("auto none zstd", Complete("tallow send --compress "));
    }

    [Fact]
    public void Zsh_completes_typed_lines_with_tab()
    {
        RequireShell("zsh");
        using var dir = new TempDir();
        string script = WriteScript(dir, "zsh");
        string work = Workspace(dir);
        Assert.Equal(0, Tool.Run(ShellTimeout, "zsh", "-n", script).ExitCode);

        // An interactive zsh in a pty (zpty): Tab after "rec", "7-amber-zodia", "--ou" and "ph" (a folder),
        // then Enter runs a stand-in `tallow` function that prints the completed line.
        string driver = $$"""
            zmodload zsh/zpty
            zpty z 'zsh -f -i'
            zpty -w z 'cd {{work}}; PS1="> "; autoload -U compinit; compinit -u -D; source {{script}}; tallow() { print -r -- "RAN""[$*]" }'
            zpty -w -n z $'tallow rec\t'
            sleep 1
            zpty -w -n z $'7-amber-zodia\t'
            sleep 1
            zpty -w -n z $'--ou\t'
            sleep 1
            zpty -w -n z $'ph\t'
            sleep 1
            zpty -w -n z $'\r'
            all=''
            for i in {1..300}; do
              while zpty -r -t z chunk; do all+=$chunk; done
              [[ $all == *'RAN['*']'* ]] && break
              sleep 0.1
            done
            zpty -d z
            print -r -- "$all"
            """;
        string output = Tool.Check(ShellTimeout, "zsh", "-f", "-c", driver);
        int ran = output.LastIndexOf("RAN[", StringComparison.Ordinal);
        Assert.True(ran >= 0, "zsh never ran the completed line:\n" + output);
        string line = output[ran..].Split(']')[0];
        // zsh drops the slash it added after a folder when the line is accepted.
        Assert.Equal("RAN[receive 7-amber-zodiac --out photos", line.Replace("  ", " ", StringComparison.Ordinal).TrimEnd('/'));
    }
}
