// Names of 255 bytes (NAME_MAX, the longest the sanitizer accepts) in ASCII and in 2-, 3- and
// 4-byte UTF-8 and with combining marks: received fresh, resumed from an interrupted part, and
// received a second time as a clash. The receiver's own names (part file, sidecar, "name (1).ext")
// must fit in 255 bytes too, cut only between whole characters.
using System.Text;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class LongNameReceiveTests
{
    private const int NameMax = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static TheoryData<string> Names() => new()
    {
        new string('n', NameMax - 4) + ".bin",
        "a" + string.Concat(Enumerable.Repeat("é", 125)) + ".txt",
        string.Concat(Enumerable.Repeat("日", 83)) + "xx.bin",
        string.Concat(Enumerable.Repeat("😀", 62)) + "abc.bin",
        string.Concat(Enumerable.Repeat("e\u0301", 84)) + ".md",
    };

    private static SourcePlan Source(TempDir dir, string folder, string name, int length, int seed)
    {
        Assert.Equal(NameMax, Encoding.UTF8.GetByteCount(name));
        string top = dir.Combine(folder, "tree");
        TransferKit.WriteRandom(Path.Combine(top, name), length, seed);
        return SourceScanner.Scan([top], 16 * 1024, followSymlinks: false, _ => { });
    }

    /// <summary>Every name in the folder fits and is valid UTF-8 (no replacement character from a cut sequence or half a surrogate pair).</summary>
    private static void AssertNamesFit(string folder)
    {
        foreach (string entry in Directory.GetFileSystemEntries(folder))
        {
            string name = Path.GetFileName(entry);
            Assert.True(Encoding.UTF8.GetByteCount(name) <= NameMax, name);
            Assert.DoesNotContain('\uFFFD', name); // what a cut UTF-8 sequence reads back as
            Assert.Equal(Encoding.UTF8.GetByteCount(name), StrictUtf8.GetByteCount(name)); // throws on half a surrogate pair
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_255_byte_name_is_received_fresh(string name)
    {
        using var dir = new TempDir();
        SourcePlan plan = Source(dir, "src", name, 40_000, 31);
        string outRoot = dir.Combine("out");

        var (_, _, _, received) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Equal(1, received.Files);
        Assert.Equal(File.ReadAllBytes(dir.Combine("src", "tree", name)), File.ReadAllBytes(Path.Combine(outRoot, "tree", name)));
        Assert.Equal([name], Directory.GetFileSystemEntries(Path.Combine(outRoot, "tree")).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_255_byte_name_resumes_from_its_interrupted_part(string name)
    {
        using var dir = new TempDir();
        SourcePlan plan = Source(dir, "src", name, 300_000, 32);
        string outRoot = dir.Combine("out");
        OfferEntry entry = plan.Offer.Entries.Single(e => e.Type == EntryType.File);
        byte[] content = File.ReadAllBytes(dir.Combine("src", "tree", name));
        TransferKit.LeaveInterruptedPart(new OutputDirectory(outRoot, false), entry, ["tree", name], content, 200_000);
        AssertNamesFit(Path.Combine(outRoot, "tree"));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outRoot, "tree")).Length); // the part file and its sidecar

        var (sender, receiver, _, _) = await TransferKit.TransferWithResumeAsync(plan, outRoot);

        Assert.Equal([(entry.Path, 200_000L, 300_000L)], receiver.Resumed);
        Assert.Equal(100_000, sender.LastProgress);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(outRoot, "tree", name)));
        Assert.Equal([name], Directory.GetFileSystemEntries(Path.Combine(outRoot, "tree")).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_255_byte_name_received_again_is_saved_under_a_shortened_numbered_name(string name)
    {
        using var dir = new TempDir();
        string outRoot = dir.Combine("out");
        await TransferKit.TransferWithResumeAsync(Source(dir, "one", name, 10_000, 33), outRoot);
        var (_, receiver, _, _) = await TransferKit.TransferWithResumeAsync(Source(dir, "two", name, 20_000, 34), outRoot);

        string folder = Path.Combine(outRoot, "tree");
        AssertNamesFit(folder);
        string[] names = [.. Directory.GetFileSystemEntries(folder).Select(Path.GetFileName)!];
        Assert.Equal(2, names.Length);
        string numbered = Assert.Single(names, n => n != name);
        int dot = name.LastIndexOf('.');
        Assert.EndsWith(" (1)" + name[dot..], numbered, StringComparison.Ordinal);
        string stem = numbered[..^(" (1)".Length + (name.Length - dot))];
        Assert.StartsWith(stem, name, StringComparison.Ordinal);
        Assert.True(stem.Length > 0 && Encoding.UTF8.GetByteCount(numbered) > NameMax - 4, numbered); // only as much cut as needed
        Assert.Equal(File.ReadAllBytes(dir.Combine("two", "tree", name)), File.ReadAllBytes(Path.Combine(folder, numbered)));
        Assert.Equal(File.ReadAllBytes(dir.Combine("one", "tree", name)), File.ReadAllBytes(Path.Combine(folder, name)));
        Assert.Contains(receiver.Notices, n => n.Contains(" (1)", StringComparison.Ordinal));
    }
}
