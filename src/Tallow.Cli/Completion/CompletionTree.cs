// The command tree as the shell completion scripts (and the man page) need it, read at run time from
// the real System.CommandLine tree that Program.cs builds: commands added later appear by themselves.
// What a value is (a path, a folder, a code, one of a fixed list) comes from the symbol's help name
// (or an argument's name): "FILE"/"PATH" complete paths, "FOLDER" folders, "code" code words.
using System.CommandLine;
using System.CommandLine.Completions;

namespace Tallow.Cli.Completion;

/// <summary>What a shell should offer for an option's value or a command's arguments.</summary>
internal enum ValueKind
{
    /// <summary>Nothing: the option is a flag, or the command takes no arguments.</summary>
    None,

    /// <summary>Free text: nothing to offer.</summary>
    Text,

    /// <summary>Files and folders.</summary>
    Path,

    /// <summary>Folders only.</summary>
    Folder,

    /// <summary>Code words (after the number: "7-amber-lu" completes the last word).</summary>
    Code,

    /// <summary>One of <see cref="CompletionOption.Choices"/>.</summary>
    Choice,
}

/// <summary>One option: its names (long first), description, and what its value is.</summary>
internal sealed record CompletionOption(IReadOnlyList<string> Names, string Description, ValueKind Value, IReadOnlyList<string> Choices, string ValueName, bool Repeatable)
{
    public bool TakesValue => Value != ValueKind.None;
}

/// <summary>One command: its words from the root ("relay serve"), subcommands, options and arguments.</summary>
internal sealed record CompletionNode(
    IReadOnlyList<string> Path,
    string Description,
    IReadOnlyList<CompletionNode> Children,
    IReadOnlyList<CompletionOption> Options,
    ValueKind Arguments,
    string ArgumentName,
    bool ManyArguments,
    IReadOnlyList<string> ArgumentChoices)
{
    /// <summary>The command's words joined by spaces; "" for the root.</summary>
    public string Key => string.Join(' ', Path);

    /// <summary>This node and every node below it, parents first.</summary>
    public IEnumerable<CompletionNode> SelfAndDescendants()
    {
        yield return this;
        foreach (CompletionNode child in Children)
        {
            foreach (CompletionNode node in child.SelfAndDescendants())
            {
                yield return node;
            }
        }
    }
}

internal static class CompletionTree
{
    /// <summary>The program name the scripts complete.</summary>
    public const string ProgramName = "tallow";

    /// <summary>Reads <paramref name="root"/> and everything below it, leaving hidden commands and options out.</summary>
    public static CompletionNode Read(Command root) => Read(root, []);

    private static CompletionNode Read(Command command, IReadOnlyList<string> path)
    {
        var children = command.Subcommands
            .Where(c => !c.Hidden)
            .Select(c => Read(c, [.. path, c.Name]))
            .ToList();
        var options = new List<CompletionOption>();

        // Recursive options of the commands above (--help) apply here too.
        IEnumerable<Option> visible = command.Options.Concat(RecursiveOptionsAbove(command)).Where(o => !o.Hidden).Distinct();
        foreach (Option option in visible)
        {
            CompletionOption read = ReadOption(option);
            if (read.Names.Count > 0)
            {
                options.Add(read);
            }
        }

        // The first argument decides what is offered for every argument (each command has at most one today).
        Argument? argument = command.Arguments.FirstOrDefault(a => !a.Hidden);
        if (argument is null)
        {
            return new CompletionNode(path, Clean(command.Description), children, options, ValueKind.None, string.Empty, false, []);
        }

        string argumentName = argument.HelpName ?? argument.Name;
        List<string> choices = ChoicesOf(argument);
        ValueKind kind = KindOf(argumentName, argument.ValueType, argument.Arity, choices);
        bool many = command.Arguments.Count > 1 || argument.Arity.MaximumNumberOfValues > 1;
        return new CompletionNode(path, Clean(command.Description), children, options, kind, argumentName, many, kind == ValueKind.Choice ? choices : []);
    }

    private static IEnumerable<Option> RecursiveOptionsAbove(Command command)
    {
        foreach (Symbol parent in command.Parents)
        {
            if (parent is Command above)
            {
                foreach (Option option in above.Options.Where(o => o.Recursive))
                {
                    yield return option;
                }

                foreach (Option option in RecursiveOptionsAbove(above))
                {
                    yield return option;
                }
            }
        }
    }

    private static CompletionOption ReadOption(Option option)
    {
        // Long names first ("--out", then "-o"), each once.
        var names = new List<string> { option.Name };
        names.AddRange(option.Aliases);
        names = [.. names.Distinct().Where(IsOptionName).OrderBy(n => n.StartsWith("--", StringComparison.Ordinal) ? 0 : 1)];
        IReadOnlyList<string> choices = ChoicesOf(option);
        ValueKind kind = KindOf(option.HelpName ?? option.Name.TrimStart('-'), option.ValueType, option.Arity, choices);
        string valueName = option.HelpName ?? option.Name.TrimStart('-');
        bool repeatable = option.Arity.MaximumNumberOfValues > 1;
        return new CompletionOption(names, Clean(option.Description), kind, kind == ValueKind.Choice ? choices : [], valueName, repeatable);
    }

    private static ValueKind KindOf(string name, Type valueType, ArgumentArity arity, IReadOnlyList<string> choices)
    {
        if (arity.MaximumNumberOfValues == 0 || valueType == typeof(bool))
        {
            return ValueKind.None;
        }

        switch (name.ToLowerInvariant())
        {
            case "file" or "files" or "path" or "paths":
                return ValueKind.Path;
            case "folder" or "dir" or "directory":
                return ValueKind.Folder;
            case "code":
                return ValueKind.Code;
        }

        return choices.Count > 0 ? ValueKind.Choice : ValueKind.Text;
    }

    private static List<string> ChoicesOf(Option option) =>
        [.. option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).Where(IsPlainWord)];

    private static List<string> ChoicesOf(Argument argument) =>
        [.. argument.GetCompletions(CompletionContext.Empty).Select(c => c.Label).Where(IsPlainWord)];

    // "-x" or "--word-word": names a shell can take literally ("-?" is left out: '?' is a glob).
    private static bool IsOptionName(string name) =>
        name.Length >= 2 && name[0] == '-' && name.TrimStart('-').Length > 0 && name.Length - name.TrimStart('-').Length <= 2
        && name.TrimStart('-').All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && char.IsAsciiLetterOrDigit(name.TrimStart('-')[0]);

    // Only plain words reach a script (they are written into shell source).
    private static bool IsPlainWord(string word) =>
        word.Length is > 0 and <= 64 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '+');

    // One line of printable text for descriptions.
    private static string Clean(string? text) =>
        new([.. (text ?? string.Empty).Select(c => char.IsControl(c) ? ' ' : c)]);
}
