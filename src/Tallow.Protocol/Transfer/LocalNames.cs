// Names the receiver makes up beside a received file, all within NAME_MAX (255 bytes of UTF-8,
// PathSanitizer.MaxComponentBytes, the longest name it accepts from the sender):
//   part file and resume sidecar  "name.tallow-part" / "name.tallow-resume"; slot k > 0 adds ".k"
//                                 before the suffix (OutputDirectory uses slots so it never has
//                                 to remove what another receive left);
//   numbered name of a clash      "name (n).ext".
// A name too long for what is added keeps as much of its start as fits, cut between whole
// characters (text elements), so the result is valid UTF-8 and no character is split. A shortened
// part name also gets "~" and 8 hex digits of BLAKE3(name): two long names with the same start get
// different part files, and the start keeps it recognisable. Numbered names need no such mark:
// their caller tries n = 1, 2, … until a name is free.
using System.Globalization;
using System.Text;
using Tallow.Protocol.Transfer.Resume;

namespace Tallow.Protocol.Transfer;

internal static class LocalNames
{
    private const int MaxBytes = PathSanitizer.MaxComponentBytes;
    private const int MarkHexDigits = 8;

    /// <summary>Bytes of the longer of the two suffixes a part name gets (".tallow-resume").</summary>
    private static readonly int LongestSuffixBytes = Math.Max(OutputDirectory.PartSuffix.Length, ResumeSidecar.Suffix.Length);

    /// <summary>"name[.slot]" or, when that would not fit with a suffix, "start~hash8[.slot]".</summary>
    public static string PartBase(string finalName, int slot)
    {
        string tag = slot == 0 ? string.Empty : "." + slot.ToString(CultureInfo.InvariantCulture);
        int room = MaxBytes - LongestSuffixBytes - tag.Length;
        if (Encoding.UTF8.GetByteCount(finalName) <= room)
        {
            return finalName + tag;
        }

        Span<byte> hash = stackalloc byte[32];
        Blake3Hasher.Hash(Encoding.UTF8.GetBytes(finalName), hash);
        string mark = "~" + Convert.ToHexStringLower(hash)[..MarkHexDigits];
        return Utf8Prefix(finalName, room - mark.Length) + mark + tag;
    }

    /// <summary>"name.ext" → "name (n).ext" (dot-files and names without an extension get the suffix at the end), shortened to fit.</summary>
    public static string Numbered(string name, int n)
    {
        string suffix = " (" + n.ToString(CultureInfo.InvariantCulture) + ")";
        int dot = name.LastIndexOf('.');
        if (dot > 0)
        {
            string extension = name[dot..];
            string stem = Utf8Prefix(name[..dot], MaxBytes - Encoding.UTF8.GetByteCount(suffix) - Encoding.UTF8.GetByteCount(extension));
            if (stem.Length > 0)
            {
                return stem + suffix + extension;
            }
        }

        return Utf8Prefix(name, MaxBytes - Encoding.UTF8.GetByteCount(suffix)) + suffix; // no extension, or one too long to keep
    }

    /// <summary>The longest start of <paramref name="text"/> made of whole text elements that is at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    public static string Utf8Prefix(string text, int maxBytes)
    {
        int bytes = 0;
        int end = 0;
        while (end < text.Length)
        {
            int length = StringInfo.GetNextTextElementLength(text, end);
            int elementBytes = Encoding.UTF8.GetByteCount(text.AsSpan(end, length));
            if (bytes + elementBytes > maxBytes)
            {
                break;
            }

            bytes += elementBytes;
            end += length;
        }

        return text[..end];
    }
}
