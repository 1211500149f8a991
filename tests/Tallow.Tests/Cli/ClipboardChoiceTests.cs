// Which clipboard tallow clip uses and what it takes from it (README "Clipboard"): Wayland before
// xclip before xsel, OSC 52 only for writing to a terminal, an error naming the packages
// otherwise; an image type before text; the local text names mapped to the one text type on the
// wire; --max-size parsed and bounded.
using Tallow.Cli.Clipboard;
using Tallow.Cli.Commands;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Tests.Cli;

public sealed class ClipboardChoiceTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("tallow-clip-bin-").FullName;

    public void Dispose() => Directory.Delete(_bin, recursive: true);

    [Theory]
    [InlineData("wl-copy wl-paste xclip xsel", true, true, "wl-clipboard")]
    [InlineData("wl-copy wl-paste xclip xsel", false, true, "xclip")]
    [InlineData("xclip xsel", true, true, "xclip")]
    [InlineData("xsel", true, true, "xsel")]
    [InlineData("wl-copy xclip", true, true, "xclip")] // wl-paste missing: Wayland is not usable
    public void The_first_usable_tool_is_chosen(string tools, bool wayland, bool x11, string expected)
    {
        foreach (string tool in tools.Split(' '))
        {
            File.WriteAllText(Path.Combine(_bin, tool), string.Empty);
        }

        IClipboard clipboard = ClipboardBackends.Find(forReading: true, Environment(wayland, x11), stdoutIsTerminal: false);
        Assert.Equal(expected, clipboard.Name);
    }

    [Fact]
    public void Without_a_tool_only_writing_to_a_terminal_works_and_the_error_names_the_packages()
    {
        Assert.Equal("the terminal (OSC 52)", ClipboardBackends.Find(forReading: false, Environment(false, true), stdoutIsTerminal: true).Name);
        foreach ((bool reading, bool terminal) in new[] { (true, true), (true, false), (false, false) })
        {
            TallowException e = Assert.Throws<TallowException>(() => ClipboardBackends.Find(reading, Environment(false, true), terminal));
            Assert.Equal(FailureKind.FileSystem, e.Kind);
            Assert.Contains("wl-clipboard", e.Message, StringComparison.Ordinal);
            Assert.Contains("xclip", e.Message, StringComparison.Ordinal);
            Assert.Contains("xsel", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("TARGETS UTF8_STRING image/png", "image/png", "image/png")]
    [InlineData("TARGETS UTF8_STRING STRING", ClipMime.Text, "UTF8_STRING")]
    [InlineData("text/plain text/plain;charset=utf-8", ClipMime.Text, ClipMime.Text)]
    [InlineData("TARGETS STRING", ClipMime.Text, "STRING")]
    [InlineData("image/jpeg image/gif", "image/jpeg", "image/jpeg")]
    public void An_image_is_taken_before_text_and_text_goes_out_as_utf8(string offered, string wire, string local) =>
        Assert.Equal((wire, local), ClipboardTypes.Choose(offered.Split(' ')));

    [Fact]
    public void A_clipboard_offering_nothing_tallow_moves_gives_nothing() =>
        Assert.Null(ClipboardTypes.Choose(["TARGETS", "text/html", "application/x-executable"]));

    [Theory]
    [InlineData(null, 16L * 1024 * 1024)]
    [InlineData("500KB", 500_000L)]
    [InlineData("64MiB", 64L * 1024 * 1024)]
    public void Max_size_parses_sizes(string? text, long bytes) => Assert.Equal(bytes, ClipCommand.MaxBytes(text));

    [Theory]
    [InlineData("1GiB")]
    [InlineData("10MB/s")]
    [InlineData("-5")]
    [InlineData("lots")]
    public void Max_size_refuses_what_is_not_a_size_in_range(string text) =>
        Assert.Equal(FailureKind.Usage, Assert.Throws<TallowException>(() => ClipCommand.MaxBytes(text)).Kind);

    private Func<string, string?> Environment(bool wayland, bool x11) => name => name switch
    {
        "PATH" => _bin,
        "WAYLAND_DISPLAY" => wayland ? "wayland-0" : null,
        "DISPLAY" => x11 ? ":0" : null,
        _ => null,
    };
}
