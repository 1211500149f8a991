// A local clipboard tallow clip reads and writes through (README "Clipboard"): a real clipboard
// tool run as a process (wl-clipboard, xclip, xsel), or OSC 52 to the terminal for writing text
// when there is none. ClipboardBackends picks one at run time.
using Tallow.Protocol.Clip;

namespace Tallow.Cli.Clipboard;

internal interface IClipboard
{
    /// <summary>What the user is told: the tool (and the package it comes from).</summary>
    string Name { get; }

    /// <summary>False for OSC 52, which can only write.</summary>
    bool CanRead { get; }

    /// <summary>The types the clipboard offers now (X targets or MIME types); empty when it holds nothing.</summary>
    Task<IReadOnlyList<string>> ListTypesAsync(CancellationToken ct);

    /// <summary>The clipboard's content as <paramref name="localType"/>; null when it is larger than <paramref name="maxBytes"/>.</summary>
    Task<byte[]?> ReadAsync(string localType, long maxBytes, CancellationToken ct);

    /// <summary>Whether this clipboard can take content of this type (ClipMime).</summary>
    bool CanHold(string type);

    /// <summary>Puts the content into the clipboard (the tool keeps serving it after tallow exits).</summary>
    Task WriteAsync(ClipContent content, CancellationToken ct);
}
