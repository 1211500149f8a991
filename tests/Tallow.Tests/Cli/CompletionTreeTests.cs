// CompletionTree reads a System.CommandLine tree as the completion scripts and the man page need it:
// hidden commands and options are left out, help names decide paths/folders/code words, fixed
// choices come from AcceptOnlyFromAmong, --help reaches subcommands. The writers keep descriptions
// with quotes, brackets and colons inside their shell strings, and roff-escape the man page.
using System.CommandLine;
using Tallow.Cli.Completion;

namespace Tallow.Tests.Cli;

public class CompletionTreeTests
{
    private static RootCommand SampleTree()
    {
        var take = new Command("take", "Take it's [things]: now")
        {
            new Argument<string[]>("code") { Arity = ArgumentArity.ZeroOrMore },
            new Option<string>("--out", "-o") { HelpName = "FOLDER", Description = "Where" },
            new Option<string?>("--config") { HelpName = "FILE" },
            new Option<bool>("--yes", "-y"),
            new Option<string[]>("--only"),
            new Option<int>("--secret-knob") { Hidden = true },
        };
        var mode = new Option<string>("--mode");
        mode.AcceptOnlyFromAmong("fast", "slow");
        take.Options.Add(mode);
        var serve = new Command("serve", "Serve") { new Argument<string>("folder") };
        return new RootCommand("root")
        {
            take,
            new Command("group", "Group") { serve },
            new Command("internal", "Hidden") { Hidden = true },
        };
    }

    [Fact]
    public void Reads_commands_options_and_value_kinds()
    {
        CompletionNode root = CompletionTree.Read(SampleTree());

        Assert.Equal(["take", "group"], root.Children.Select(c => c.Key));
        Assert.Equal(["", "take", "group", "group serve"], root.SelfAndDescendants().Select(n => n.Key));

        CompletionNode take = root.Children[0];
        Assert.Equal(ValueKind.Code, take.Arguments);
        Assert.True(take.ManyArguments);
        CompletionOption Option(string name) => take.Options.Single(o => o.Names.Contains(name));
        Assert.Equal(["--out", "-o"], Option("-o").Names);
        Assert.Equal(ValueKind.Folder, Option("--out").Value);
        Assert.Equal(ValueKind.Path, Option("--config").Value);
        Assert.Equal(ValueKind.None, Option("--yes").Value);
        Assert.True(Option("--only").Repeatable);
        Assert.Equal(ValueKind.Text, Option("--only").Value);
        Assert.Equal(ValueKind.Choice, Option("--mode").Value);
        Assert.Equal(["fast", "slow"], Option("--mode").Choices.Order());
        Assert.DoesNotContain(take.Options, o => o.Names.Contains("--secret-knob"));
        Assert.Contains(take.Options, o => o.Names.Contains("--help")); // recursive from the root
        Assert.All(take.Options, o => Assert.DoesNotContain("-?", o.Names)); // a glob in a shell

        CompletionNode serve = root.Children[1].Children[0];
        Assert.Equal(["group", "serve"], serve.Path);
        Assert.Equal(ValueKind.Folder, serve.Arguments);
        Assert.False(serve.ManyArguments);
    }

    [Fact]
    public void Writers_quote_descriptions_for_their_shell()
    {
        CompletionNode root = CompletionTree.Read(SampleTree());
        string[] words = ["amber", "zodiac", "Not-A-Word", "x'y"];

        string zsh = ZshCompletion.Write(root, words);
        Assert.Contains("'take:Take it'\\''s \\[things\\]\\: now'", zsh, StringComparison.Ordinal);
        Assert.Contains("_tallow_code_words=(amber zodiac)", zsh, StringComparison.Ordinal); // only lowercase words
        Assert.Contains("_tallow_group_serve()", zsh, StringComparison.Ordinal);
        Assert.DoesNotContain("internal", zsh, StringComparison.Ordinal);

        string fish = FishCompletion.Write(root, words);
        Assert.Contains("-a take -d 'Take it\\'s [things]: now'", fish, StringComparison.Ordinal);
        Assert.Contains("-l mode -d '' -x -a 'fast slow'", fish, StringComparison.Ordinal);

        string bash = BashCompletion.Write(root, words);
        Assert.Contains("_tallow_code_words='amber zodiac'", bash, StringComparison.Ordinal);
        Assert.Contains("'take|--out'|'take|-o') echo 'folder' ;;", bash, StringComparison.Ordinal);
        Assert.Contains("'group') echo 'serve' ;;", bash, StringComparison.Ordinal);
    }

    [Fact]
    public void Man_page_escapes_roff()
    {
        var root = new RootCommand("root")
        {
            new Command("go", ".starts with a dot, has a \\ and --dashes") { new Option<bool>("--dry-run") { Description = "'quoted start" } },
        };

        string page = ManPage.Write(CompletionTree.Read(root), "1.2.3");

        Assert.StartsWith(".TH TALLOW 1 \"\" \"tallow 1.2.3\"", page, StringComparison.Ordinal);
        Assert.Contains(".SS tallow go [\\fIoptions\\fR]\n\\&.starts with a dot, has a \\e and \\-\\-dashes\n", page, StringComparison.Ordinal);
        Assert.Contains(".TP\n\\fB\\-\\-dry\\-run\\fR\n\\&'quoted start\n", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\\fB\\-\\-help", page, StringComparison.Ordinal);
        Assert.Contains(".SH EXIT STATUS", page, StringComparison.Ordinal);
    }
}
