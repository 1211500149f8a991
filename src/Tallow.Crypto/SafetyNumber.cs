// Short authentication string, DESIGN.md §6 (--verify): rendered from the session's SAS key, which both peers
// derive identically only when nobody sits in the middle.
//   Digits: (bytes 0..7 as big-endian uint64) mod 10^6, shown as "123 456" (≈ 20 bits, bias < 2^-44).
//   Emoji:  bytes 8..12, each mod 64, indexing a fixed list of 64 emoji (30 bits), joined by spaces.
namespace Tallow.Crypto;

/// <summary>Human-comparable renderings of the SAS key.</summary>
public static class SafetyNumber
{
    /// <summary>Minimum SAS key length accepted.</summary>
    public const int MinKeySize = 16;

    public const int EmojiCount = 5;

    /// <summary>64 single-code-point emoji (no ZWJ sequences or variation selectors), chosen to look distinct.</summary>
    private static readonly string[] s_emoji =
    [
        "🐶", "🐱", "🐭", "🐰", "🦊", "🐻", "🐼", "🐨",
        "🐯", "🦁", "🐮", "🐷", "🐸", "🐵", "🐔", "🐧",
        "🐦", "🦉", "🐴", "🦄", "🐝", "🐛", "🦋", "🐌",
        "🐢", "🐍", "🐙", "🦀", "🐟", "🐬", "🐳", "🐘",
        "🌵", "🌲", "🍀", "🍁", "🍄", "🌻", "🌹", "🍎",
        "🍌", "🍇", "🍓", "🍒", "🍋", "🍉", "🍍", "🥕",
        "🌽", "🍕", "🍩", "🍪", "🚀", "🚲", "🎁", "🔑",
        "🔔", "🎈", "🎸", "🏆", "💎", "🌙", "🌈", "🔥",
    ];

    /// <summary>The fixed emoji alphabet (64 entries).</summary>
    public static IReadOnlyList<string> EmojiAlphabet { get; } = Array.AsReadOnly(s_emoji);

    /// <summary>Six-digit safety number "123 456".</summary>
    public static string Digits(ReadOnlySpan<byte> sasKey)
    {
        CheckKey(sasKey);
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(sasKey) % 1_000_000;
        var text = value.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        return string.Concat(text.AsSpan(0, 3), " ", text.AsSpan(3, 3));
    }

    /// <summary>Five emoji separated by spaces.</summary>
    public static string Emoji(ReadOnlySpan<byte> sasKey)
    {
        CheckKey(sasKey);
        var parts = new string[EmojiCount];
        for (var i = 0; i < EmojiCount; i++)
        {
            parts[i] = s_emoji[sasKey[8 + i] & 63];
        }

        return string.Join(' ', parts);
    }

    private static void CheckKey(ReadOnlySpan<byte> sasKey)
    {
        if (sasKey.Length < MinKeySize)
        {
            throw new ArgumentException("The SAS key must be at least 16 bytes.", nameof(sasKey));
        }
    }
}
