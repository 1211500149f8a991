// The X11 clipboard through xsel (Debian package xsel), the fallback when xclip is missing: it
// knows text only, so images are refused on this side (the message says to install xclip).
using Tallow.Protocol;
using Tallow.Protocol.Clip;

namespace Tallow.Cli.Clipboard;

internal sealed class XselClipboard : IClipboard
{
    private const string Tool = "xsel";

    public string Name => "xsel";

    public bool CanRead => true;

    public async Task<IReadOnlyList<string>> ListTypesAsync(CancellationToken ct)
    {
        byte[]? text = await ReadAsync(ClipboardTypes.X11Text, 1, ct).ConfigureAwait(false);
        return text is { Length: 0 } ? [] : [ClipboardTypes.X11Text]; // null: more than one byte of text
    }

    public async Task<byte[]?> ReadAsync(string localType, long maxBytes, CancellationToken ct)
    {
        (int exit, byte[]? output, string error) = await ClipboardTool.ReadAsync(Tool, ["--clipboard", "--output"], maxBytes, ct).ConfigureAwait(false);
        return exit == 0 || output is null ? output
            : throw new TallowException(FailureKind.FileSystem, $"xsel could not read the clipboard: {ClipboardTool.Describe(error, exit)} (is DISPLAY right?)");
    }

    public bool CanHold(string type) => Tallow.Wire.ClipMime.IsText(type);

    /// <summary>How long a write waits for xsel's background child to take the selection.</summary>
    private static readonly TimeSpan OwnershipWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Writes the text, then waits (bounded) until the clipboard holds it: xsel forks first and its
    /// child takes the selection after the parent exits, so until then a paste still gave what the
    /// clipboard held before (seen in CI: "received" reported, the clipboard read back empty).
    /// </summary>
    public async Task WriteAsync(ClipContent content, CancellationToken ct)
    {
        await ClipboardTool.WriteAsync(Tool, ["--clipboard", "--input"], content.Bytes, ct).ConfigureAwait(false);
        long deadline = Environment.TickCount64 + (long)OwnershipWait.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            try
            {
                if (await ReadAsync(ClipboardTypes.X11Text, content.Bytes.Length, ct).ConfigureAwait(false) is { } now && now.AsSpan().SequenceEqual(content.Bytes))
                {
                    return;
                }
            }
            catch (TallowException)
            {
                // No owner yet can read as an error: look again.
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }
}
