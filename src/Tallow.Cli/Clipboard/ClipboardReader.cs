// Reads what the local clipboard holds now as one ClipContent (README "Clipboard"): the type
// ClipboardTypes chooses from what it offers, bounded by the size limit, text checked as UTF-8.
using Tallow.Cli.Output;
using Tallow.Protocol.Clip;
using Tallow.Wire;

namespace Tallow.Cli.Clipboard;

internal enum ClipboardState
{
    Content,
    Empty,
    TooLarge,

    /// <summary>
    /// Text that is not UTF-8: a program offering other text, or (watching) a new owner that took
    /// the clipboard between the type list and the read (xclip answers any type with its data).
    /// </summary>
    NotUtf8,
}

internal readonly record struct ClipboardRead(ClipboardState State, ClipContent? Content, string? Type);

internal static class ClipboardReader
{
    public static async Task<ClipboardRead> ReadAsync(IClipboard clipboard, long maxBytes, CancellationToken ct)
    {
        IReadOnlyList<string> offered = await clipboard.ListTypesAsync(ct).ConfigureAwait(false);
        if (ClipboardTypes.Choose(offered) is not (string wire, string local))
        {
            return new ClipboardRead(ClipboardState.Empty, null, null);
        }

        byte[]? bytes = await clipboard.ReadAsync(local, maxBytes, ct).ConfigureAwait(false);
        if (bytes is null)
        {
            return new ClipboardRead(ClipboardState.TooLarge, null, wire);
        }

        var content = new ClipContent(wire, bytes);
        if (!content.IsWellFormed)
        {
            return new ClipboardRead(ClipboardState.NotUtf8, null, wire);
        }

        return bytes.Length == 0 ? new ClipboardRead(ClipboardState.Empty, null, wire) : new ClipboardRead(ClipboardState.Content, content, wire);
    }

    public const string NotUtf8Text = "the clipboard's text is not valid UTF-8: copy it again from a program that offers UTF-8 text.";

    /// <summary>"text (12 B)" or "image/png (1.2 MiB)".</summary>
    public static string Describe(ClipContent content) => $"{content.Kind} ({Units.Bytes(content.Bytes.Length)})";

    public static string TooLarge(string? type, long maxBytes) =>
        $"the clipboard holds {(type is null || ClipMime.IsText(type) ? "text" : type)} larger than the limit of {Units.Bytes(maxBytes)}: raise it with --max-size, or send it as a file (tallow send).";
}
