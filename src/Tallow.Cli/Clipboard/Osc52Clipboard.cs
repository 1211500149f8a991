// OSC 52 (xterm's "Manipulate Selection Data"): ESC ] 52 ; c ; BASE64 BEL written to the terminal
// on stdout asks the terminal itself to set its clipboard, which works over SSH where no
// clipboard tool can reach the user's desktop. Write-only and text-only; bounded, because
// terminals cap the sequence (xterm and others near 100 KB) and drop longer ones silently.
using System.Text;
using Tallow.Protocol;
using Tallow.Protocol.Clip;
using Tallow.Wire;

namespace Tallow.Cli.Clipboard;

internal sealed class Osc52Clipboard : IClipboard
{
    /// <summary>Text this large becomes about 100,000 base64 characters.</summary>
    public const int MaxTextBytes = 74 * 1024;

    public string Name => "the terminal (OSC 52)";

    public bool CanRead => false;

    public Task<IReadOnlyList<string>> ListTypesAsync(CancellationToken ct) => throw new NotSupportedException("OSC 52 cannot read");

    public Task<byte[]?> ReadAsync(string localType, long maxBytes, CancellationToken ct) => throw new NotSupportedException("OSC 52 cannot read");

    public bool CanHold(string type) => ClipMime.IsText(type);

    public async Task WriteAsync(ClipContent content, CancellationToken ct)
    {
        if (content.Bytes.Length > MaxTextBytes)
        {
            throw new TallowException(FailureKind.FileSystem,
                $"the text is too long for the terminal's clipboard (OSC 52 takes up to {MaxTextBytes / 1024} KiB): install xclip or xsel (X11) or wl-clipboard (Wayland) to receive it.");
        }

        byte[] sequence = Sequence(content.Bytes);
        using Stream stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(sequence, ct).ConfigureAwait(false);
        await stdout.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>ESC ] 52 ; c ; base64(text) BEL.</summary>
    public static byte[] Sequence(ReadOnlySpan<byte> text) => Encoding.ASCII.GetBytes("\u001b]52;c;" + Convert.ToBase64String(text) + "\u0007");
}
