// The X11 clipboard through xclip (Debian package xclip): `-t TARGETS -o` lists the types the
// owner offers, `-t TYPE -o` reads one, `-t TYPE -i` takes ownership with new content (text as
// xclip's default UTF8_STRING, which every X program pastes). Always the CLIPBOARD selection
// (Ctrl-C / Ctrl-V), not PRIMARY.
using Tallow.Protocol;
using Tallow.Protocol.Clip;

namespace Tallow.Cli.Clipboard;

internal sealed class XclipClipboard : IClipboard
{
    private const string Tool = "xclip";

    public string Name => "xclip";

    public bool CanRead => true;

    public async Task<IReadOnlyList<string>> ListTypesAsync(CancellationToken ct)
    {
        (int exit, byte[]? output, string error) = await ClipboardTool.ReadAsync(Tool, ["-selection", "clipboard", "-t", "TARGETS", "-o"], 64 * 1024, ct).ConfigureAwait(false);
        if (exit != 0)
        {
            return error.Contains("display", StringComparison.OrdinalIgnoreCase)
                ? throw new TallowException(FailureKind.FileSystem, $"xclip cannot reach the X display: {ClipboardTool.Describe(error, exit)} (is DISPLAY right?)")
                : []; // no owner: the clipboard is empty
        }

        return ClipboardTypes.Lines(output);
    }

    public async Task<byte[]?> ReadAsync(string localType, long maxBytes, CancellationToken ct)
    {
        (int exit, byte[]? output, string error) = await ClipboardTool.ReadAsync(Tool, ["-selection", "clipboard", "-t", localType, "-o"], maxBytes, ct).ConfigureAwait(false);
        return exit == 0 || output is null ? output
            : throw new TallowException(FailureKind.FileSystem, $"xclip could not read the clipboard as {localType}: {ClipboardTool.Describe(error, exit)}");
    }

    public bool CanHold(string type) => true;

    public Task WriteAsync(ClipContent content, CancellationToken ct) =>
        ClipboardTool.WriteAsync(Tool, content.IsText ? ["-selection", "clipboard", "-i"] : ["-selection", "clipboard", "-t", content.Type, "-i"], content.Bytes, ct);
}
