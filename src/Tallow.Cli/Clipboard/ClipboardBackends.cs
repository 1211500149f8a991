// Finds the clipboard at run time (README "Clipboard"), in this order: Wayland (wl-copy and
// wl-paste, when WAYLAND_DISPLAY is set), X11 (xclip, then xsel, when DISPLAY is set), and, for
// writing only, OSC 52 to the terminal when stdout is one (e.g. over SSH). With none of them the
// error names what to install; it is exit code 5, a local problem, like a folder that cannot be written.
using Tallow.Protocol;

namespace Tallow.Cli.Clipboard;

internal static class ClipboardBackends
{
    public const string InstallHint = "install wl-clipboard (Wayland) or xclip or xsel (X11), e.g. 'sudo apt install xclip'";

    /// <summary>The clipboard to use; throws a TallowException (FileSystem) naming the packages when there is none.</summary>
    public static IClipboard Find(bool forReading, Func<string, string?> environment, bool stdoutIsTerminal)
    {
        bool wayland = !string.IsNullOrEmpty(environment("WAYLAND_DISPLAY"));
        bool x11 = !string.IsNullOrEmpty(environment("DISPLAY"));
        string? path = environment("PATH");
        if (wayland && OnPath("wl-copy", path) && OnPath("wl-paste", path))
        {
            return new WaylandClipboard();
        }

        if (x11 && OnPath("xclip", path))
        {
            return new XclipClipboard();
        }

        if (x11 && OnPath("xsel", path))
        {
            return new XselClipboard();
        }

        if (!forReading && stdoutIsTerminal)
        {
            return new Osc52Clipboard();
        }

        string why = wayland || x11
            ? $"no clipboard tool found for this {(wayland ? "Wayland" : "X11")} session: {InstallHint}."
            : $"no clipboard here: neither WAYLAND_DISPLAY nor DISPLAY is set (no desktop session). Run tallow clip in a desktop session, where it needs wl-clipboard (Wayland) or xclip or xsel (X11)";
        string more = forReading
            ? wayland || x11 ? string.Empty : "."
            : wayland || x11 ? " Or run it with stdout on a terminal, which gets text through OSC 52." : ", or with stdout on a terminal, which gets text through OSC 52.";
        throw new TallowException(FailureKind.FileSystem, why + more);
    }

    private static bool OnPath(string name, string? path) =>
        (path ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, name)));
}
