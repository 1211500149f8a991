// The Wayland clipboard through wl-clipboard (Debian package wl-clipboard): `wl-paste
// --list-types`, `wl-paste --no-newline --type TYPE`, `wl-copy --type TYPE` (which forks and
// keeps serving the content, like xclip).
using Tallow.Protocol;
using Tallow.Protocol.Clip;

namespace Tallow.Cli.Clipboard;

internal sealed class WaylandClipboard : IClipboard
{
    public string Name => "wl-clipboard";

    public bool CanRead => true;

    public async Task<IReadOnlyList<string>> ListTypesAsync(CancellationToken ct)
    {
        (int exit, byte[]? output, string error) = await ClipboardTool.ReadAsync("wl-paste", ["--list-types"], 64 * 1024, ct).ConfigureAwait(false);
        if (exit != 0)
        {
            return error.Contains("nothing", StringComparison.OrdinalIgnoreCase) || error.Contains("no selection", StringComparison.OrdinalIgnoreCase)
                ? []
                : throw new TallowException(FailureKind.FileSystem, $"wl-paste cannot read the clipboard: {ClipboardTool.Describe(error, exit)} (is WAYLAND_DISPLAY right?)");
        }

        return ClipboardTypes.Lines(output);
    }

    public async Task<byte[]?> ReadAsync(string localType, long maxBytes, CancellationToken ct)
    {
        (int exit, byte[]? output, string error) = await ClipboardTool.ReadAsync("wl-paste", ["--no-newline", "--type", localType], maxBytes, ct).ConfigureAwait(false);
        return exit == 0 || output is null ? output
            : throw new TallowException(FailureKind.FileSystem, $"wl-paste could not read the clipboard as {localType}: {ClipboardTool.Describe(error, exit)}");
    }

    public bool CanHold(string type) => true;

    public Task WriteAsync(ClipContent content, CancellationToken ct) =>
        ClipboardTool.WriteAsync("wl-copy", ["--type", content.Type], content.Bytes, ct);
}
