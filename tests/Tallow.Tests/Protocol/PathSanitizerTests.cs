// PathSanitizer (DESIGN.md §8 output safety): what a hostile offer may not name, what normal
// names must still work, and the containment property behind it.
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tallow.Protocol.Transfer;

namespace Tallow.Tests.Protocol;

public class PathSanitizerTests
{
    [Theory]
    [InlineData("a.txt")]
    [InlineData("my file.txt")]
    [InlineData("it's \"quoted\".txt")]
    [InlineData("-rf")]
    [InlineData("--help")]
    [InlineData("12:30 notes.txt")]
    [InlineData("Ünïcödé/日本語/файл.txt")]
    [InlineData("emoji 😀.png")]
    [InlineData("folder/sub folder/file")]
    [InlineData(".bashrc")]
    [InlineData("...")]
    [InlineData("..a")]
    [InlineData("a..")]
    [InlineData("CONSOLE.txt")]
    [InlineData("com10")]
    [InlineData("nul-ish")]
    [InlineData("trailing space ")]
    [InlineData("\u00A0nbsp")]
    public void Accepts_normal_names(string path)
    {
        Assert.True(PathSanitizer.TrySplit(path, out string[] components, out string reason), reason);
        Assert.Equal(path.Split('/'), components);
        Assert.Empty(reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("x/..")]
    [InlineData("a/../../x")]
    [InlineData("a/./b")]
    [InlineData("/abs")]
    [InlineData("/")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("C:/x")]
    [InlineData("C:")]
    [InlineData("c:x")]
    [InlineData("a:b")]
    [InlineData("a\\b")]
    [InlineData("..\\x")]
    [InlineData("\\\\server\\share")]
    [InlineData("a\0b")]
    [InlineData("\u001b[31mred")]
    [InlineData("bell\u0007")]
    [InlineData("tab\tname")]
    [InlineData("new\nline")]
    [InlineData("cr\r")]
    [InlineData("del\u007F")]
    [InlineData("c1\u0085")]
    [InlineData("csi\u009B31m")]
    [InlineData("c1\u0080")]
    [InlineData("c1\u009F")]
    [InlineData("evil\u202Etxt.exe")]
    [InlineData("evil\u202Dtxt.exe")]
    [InlineData("CON")]
    [InlineData("con")]
    [InlineData("prn.txt")]
    [InlineData("LPT1")]
    [InlineData("aux.tar.gz")]
    [InlineData("dir/NUL")]
    [InlineData("COM9.log")]
    [InlineData("con .txt")]
    public void Rejects_hostile_paths(string path)
    {
        Assert.False(PathSanitizer.TrySplit(path, out string[] components, out string reason));
        Assert.Empty(components);
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void Enforces_component_length_in_bytes()
    {
        Assert.True(PathSanitizer.TrySplit(new string('a', 255), out _, out _));
        Assert.False(PathSanitizer.TrySplit(new string('a', 256), out _, out _));
        Assert.False(PathSanitizer.TrySplit("ok/" + new string('a', 256), out _, out _));
        Assert.True(PathSanitizer.TrySplit(string.Concat(Enumerable.Repeat("é", 127)), out _, out _)); // 254 bytes
        Assert.False(PathSanitizer.TrySplit(string.Concat(Enumerable.Repeat("é", 128)), out _, out _)); // 256 bytes, 128 chars
        Assert.False(PathSanitizer.TrySplit(string.Concat(Enumerable.Repeat("😀", 64)), out _, out _)); // 256 bytes
    }

    [Fact]
    public void Enforces_total_length_in_bytes()
    {
        // 15 × 255 + 127 + 128 bytes of names and 16 separators = exactly 4096 bytes.
        string[] parts = [.. Enumerable.Repeat(new string('a', 255), 15), new string('b', 127), new string('c', 128)];
        string path4096 = string.Join('/', parts);
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(path4096));
        Assert.True(PathSanitizer.TrySplit(path4096, out string[] components, out _));
        Assert.Equal(17, components.Length);
        Assert.False(PathSanitizer.TrySplit(path4096 + "c", out _, out string reason));
        Assert.NotEmpty(reason);
        Assert.False(PathSanitizer.TrySplit(path4096[..^1] + "é", out _, out _)); // same length in chars, 4097 bytes
        Assert.True(PathSanitizer.TrySplit(path4096[..^1] + "e", out _, out _));
    }

    [Fact]
    public void Enforces_depth()
    {
        Assert.True(PathSanitizer.TrySplit(string.Join('/', Enumerable.Repeat("d", 64)), out string[] c, out _));
        Assert.Equal(64, c.Length);
        Assert.False(PathSanitizer.TrySplit(string.Join('/', Enumerable.Repeat("d", 65)), out _, out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void Printable_replaces_control_characters()
    {
        Assert.Equal("a?[31mb?c?d", PathSanitizer.Printable("a\u001b[31mb\u0085c\u007Fd"));
        Assert.Equal("plain name.txt", PathSanitizer.Printable("plain name.txt"));
    }

    /// <summary>Characters that make paths interesting: separators, dots, drive colons, controls, bidi overrides.</summary>
    private static readonly Gen<string> Piece = Gen.Frequency(
        (8, Gen.Elements("a", "b", "file", "x.txt", "日本", "😀", " ", "-", "CON", "nul", "lpt1", "com3.txt")),
        (6, Gen.Elements("/", ".", "..", "\\", ":", "C:", "c:")),
        (2, Gen.Elements("\0", "\u001b", "\u007F", "\u0085", "\u009B", "\u202E", "\u202D", "\n", "\t")),
        (1, Gen.Choose(0, 0xFFFF).Select(c => ((char)c).ToString())));

    private static readonly Gen<string> HostileishPath =
        Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Piece, n)).Select(parts => string.Concat(parts));

    private static bool StaysInsideRoot(string path)
    {
        if (!PathSanitizer.TrySplit(path, out string[] components, out _))
        {
            return true;
        }

        string root = Path.Combine(Path.GetTempPath(), "tallow-root");
        string joined = Path.GetFullPath(Path.Combine([root, .. components]));
        string viaString = Path.GetFullPath(Path.Combine(root, path));
        return joined.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && joined == viaString
            && components.All(c => c.Length > 0 && c != "." && c != ".." && !c.Contains('/') && !c.Contains('\\'));
    }

    [Property(MaxTest = 2000)]
    public Property Accepted_paths_stay_inside_the_root() => Prop.ForAll(HostileishPath.ToArbitrary(), path =>
        Prop.Classify(StaysInsideRoot(path), PathSanitizer.TrySplit(path, out _, out _), "accepted"));

    [Fact]
    public void The_path_generator_produces_both_accepted_and_rejected_paths()
    {
        string[] sample = HostileishPath.Sample(2000, 10);
        Assert.Equal(2000, sample.Length);
        int accepted = sample.Count(p => PathSanitizer.TrySplit(p, out _, out _));
        Assert.InRange(accepted, 100, 1900);
        Assert.Contains(sample, p => p.Contains('/', StringComparison.Ordinal) && PathSanitizer.TrySplit(p, out _, out _));
    }

    [Property(MaxTest = 1000)]
    public bool Arbitrary_strings_never_throw_and_accepted_ones_stay_inside(string? path) =>
        path is null || StaysInsideRoot(path);

    [Property(MaxTest = 1000)]
    public Property Accepted_components_contain_no_character_that_printing_would_alter() => Prop.ForAll(HostileishPath.ToArbitrary(), path =>
        !PathSanitizer.TrySplit(path, out string[] components, out _)
        || components.All(c => PathSanitizer.Printable(c) == c));

    [Property(MaxTest = 1000)]
    public Property Printable_output_never_contains_a_character_a_name_may_not_contain() => Prop.ForAll(HostileishPath.ToArbitrary(), path =>
    {
        string printable = PathSanitizer.Printable(path);
        return printable.Length == path.Length
            && printable.All(ch => PathSanitizer.IsSafeComponent("x" + ch, out string reason) || !reason.Contains("control", StringComparison.Ordinal));
    });
}
