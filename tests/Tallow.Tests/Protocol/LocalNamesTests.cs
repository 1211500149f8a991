// LocalNames: the part, sidecar and numbered names the receiver makes up fit in 255 bytes of
// valid UTF-8 for every name the sanitizer lets through, keep as much of the name as fits (cut
// between whole characters), stay distinct for different long names and keep the extension.
using System.Text;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Resume;

namespace Tallow.Tests.Protocol;

public class LocalNamesTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly string[] Pieces = ["a", "Z", ".", " ", "é", "ß", "日", "語", "😀", "🇫🇷", "e\u0301", "ก\u0e31", "-", "~"];

    /// <summary>Random names of up to 255 bytes built from 1- to 8-byte text elements (deterministic per seed).</summary>
    public static TheoryData<int> Seeds() => [.. Enumerable.Range(0, 40)];

    private static string RandomName(int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        int target = random.Next(1, 256);
        while (true)
        {
            string piece = Pieces[random.Next(Pieces.Length)];
            if (Encoding.UTF8.GetByteCount(sb + piece) > target)
            {
                break;
            }

            sb.Append(piece);
        }

        return sb.Length == 0 ? "x" : sb.ToString();
    }

    private static void AssertValid(string made)
    {
        Assert.True(StrictUtf8.GetByteCount(made) <= 255, made); // throws on half a surrogate pair
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Part_and_sidecar_names_fit_and_keep_the_start_of_the_name(int seed)
    {
        string name = RandomName(seed);
        for (int slot = 0; slot < OutputDirectory.PartSlots; slot++)
        {
            string stem = LocalNames.PartBase(name, slot);
            AssertValid(stem + OutputDirectory.PartSuffix);
            AssertValid(stem + ResumeSidecar.Suffix);
            string tag = slot == 0 ? "" : $".{slot}";
            Assert.EndsWith(tag, stem, StringComparison.Ordinal);
            string kept = stem[..^tag.Length];
            if (kept == name)
            {
                Assert.True(Encoding.UTF8.GetByteCount(name + tag + ResumeSidecar.Suffix) <= 255);
                continue;
            }

            Assert.Matches("~[0-9a-f]{8}$", kept);
            Assert.StartsWith(kept[..^9], name, StringComparison.Ordinal);
            Assert.True(Encoding.UTF8.GetByteCount(stem + ResumeSidecar.Suffix) > 255 - 8, stem); // cut no more than a character's length
        }
    }

    [Fact]
    public void Long_names_with_the_same_start_get_different_part_names()
    {
        string a = new string('s', 250) + "1.bin";
        string b = new string('s', 250) + "2.bin";
        Assert.NotEqual(LocalNames.PartBase(a, 0), LocalNames.PartBase(b, 0));
        Assert.Equal(LocalNames.PartBase(a, 0), LocalNames.PartBase(a, 0));
        Assert.Equal("short.txt", LocalNames.PartBase("short.txt", 0));
        Assert.Equal("short.txt.3", LocalNames.PartBase("short.txt", 3));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Numbered_names_fit_and_keep_the_extension(int seed)
    {
        string name = RandomName(seed);
        foreach (int n in new[] { 1, 9, 10, 9999 })
        {
            string numbered = LocalNames.Numbered(name, n);
            AssertValid(numbered);
            Assert.Contains($" ({n})", numbered, StringComparison.Ordinal);
            int dot = name.LastIndexOf('.');
            string extension = dot > 0 ? name[dot..] : "";
            string suffix = $" ({n})" + extension;
            if (numbered.EndsWith(suffix, StringComparison.Ordinal) && numbered.Length > suffix.Length)
            {
                Assert.StartsWith(numbered[..^suffix.Length], name, StringComparison.Ordinal);
            }
            else
            {
                Assert.EndsWith($" ({n})", numbered, StringComparison.Ordinal); // an extension too long to keep: cut with the name
                Assert.StartsWith(numbered[..^$" ({n})".Length], name, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(1, "é", 0)]
    [InlineData(2, "é", 1)]
    [InlineData(3, "é", 1)]
    [InlineData(3, "😀", 0)]
    [InlineData(4, "😀", 1)]
    [InlineData(2, "e\u0301", 0)]
    [InlineData(3, "e\u0301", 1)]
    public void A_cut_never_splits_a_character(int maxBytes, string element, int expectedElements) =>
        Assert.Equal(string.Concat(Enumerable.Repeat(element, expectedElements)), LocalNames.Utf8Prefix(element + element, maxBytes));
}
