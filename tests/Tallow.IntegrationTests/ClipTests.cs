// `tallow clip` with real X servers (README "Clipboard"): two Xvfb displays, the real xclip, a real
// relay and one tallow process per display. Text and a PNG image land in the other display's
// clipboard (read back with xclip, the image compared by hash and offered as image/png); --watch
// carries new content both ways and never sends back what it just received; without any
// clipboard tool the text reaches a real pty as an OSC 52 sequence, and without a pty the error
// names the packages to install (exit 5).
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

[Collection(ClipCollection.Name)]
public sealed class ClipTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Text_copied_on_one_display_is_in_the_clipboard_of_the_other()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        const string text = "héllo from display A ✓\nsecond line";
        await a.SetClipboardAsync(Encoding.UTF8.GetBytes(text));

        (TallowProcess sender, TallowProcess receiver) = await StartPairAsync(a, b, [], []);
        await using (sender)
        await using (receiver)
        {
            Check.Exit(0, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Check.Exit(0, await sender.WaitForExitAsync(Timeout), sender, "sender");
            Assert.Equal(text, Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));
            JsonElement received = await receiver.WaitForEventAsync("clip_received", Timeout);
            Assert.Equal("text/plain;charset=utf-8", received.GetProperty("type").GetString());
            Assert.Equal(Encoding.UTF8.GetByteCount(text), received.GetProperty("bytes").GetInt64());
            Assert.Equal("xclip", received.GetProperty("clipboard").GetString());
            Assert.Equal(JsonValueKind.Null, received.GetProperty("text").ValueKind); // not echoed without --print
            Assert.DoesNotContain("héllo", receiver.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Print_shows_the_received_text_on_stdout()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        await a.SetClipboardAsync("printed text"u8.ToArray());
        TallowProcess sender = TallowProcess.Start(["clip", "--json", "--relay", fixture.Relay.Address], environment: a.Environment);
        await using (sender)
        {
            string code = (await sender.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
            TallowProcess receiver = TallowProcess.Start(["clip", code, "--print", "--relay", fixture.Relay.Address], environment: b.Environment);
            await using (receiver)
            {
                Check.Exit(0, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
                Assert.Equal("printed text\n", receiver.Stdout.Replace("\r", string.Empty, StringComparison.Ordinal));
                Assert.Contains("Received text (12 B) into the clipboard (xclip).", receiver.Stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_png_image_arrives_byte_for_byte_and_is_offered_as_image_png()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        byte[] png = Png(400, 300); // about 360 KB of noise: more than one 256 KiB piece
        await a.SetClipboardAsync(png, "image/png");

        (TallowProcess sender, TallowProcess receiver) = await StartPairAsync(a, b, [], []);
        await using (sender)
        await using (receiver)
        {
            Check.Exit(0, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Check.Exit(0, await sender.WaitForExitAsync(Timeout), sender, "sender");
            Assert.Contains("image/png", await b.TargetsAsync());
            Assert.Equal(Convert.ToHexString(SHA256.HashData(png)), Convert.ToHexString(SHA256.HashData(await b.ReadClipboardAsync("image/png") ?? [])));
            Assert.Equal(png.Length, (await sender.WaitForEventAsync("clip_sent", Timeout)).GetProperty("bytes").GetInt64());
        }
    }

    [Fact]
    public async Task Content_over_the_receivers_max_size_is_refused_on_both_sides()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        await b.SetClipboardAsync("unchanged"u8.ToArray());
        await a.SetClipboardAsync(Png(400, 300), "image/png");

        (TallowProcess sender, TallowProcess receiver) = await StartPairAsync(a, b, [], ["--max-size", "100KB"]);
        await using (sender)
        await using (receiver)
        {
            Check.Exit(3, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Check.Exit(3, await sender.WaitForExitAsync(Timeout), sender, "sender");
            Assert.Contains("--max-size", await ErrorOf(receiver), StringComparison.Ordinal);
            Assert.Contains("did not store", await ErrorOf(sender), StringComparison.Ordinal);
            Assert.Equal("unchanged", Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));
        }
    }

    [Fact]
    public async Task Without_xclip_xsel_takes_text_and_an_image_is_refused_on_both_sides()
    {
        Assert.True(Tool.OnPath("xsel"), "this test needs xsel: run ./setup.sh as root, or apt install xsel");
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        using var bin = new TempDir();
        string xsel = (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(dir => Path.Combine(dir, "xsel")).First(File.Exists);
        File.CreateSymbolicLink(bin.Combine("xsel"), xsel); // the receiver's PATH has xsel and no xclip
        Dictionary<string, string?> xselOnly = b.Environment;
        xselOnly["PATH"] = bin.Path;

        await a.SetClipboardAsync("through xsel"u8.ToArray());
        (TallowProcess sender, TallowProcess receiver) = await StartPairAsync(a, b, [], [], xselOnly);
        await using (sender)
        await using (receiver)
        {
            Check.Exit(0, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Check.Exit(0, await sender.WaitForExitAsync(Timeout), sender, "sender");
            Assert.Equal("xsel", (await receiver.WaitForEventAsync("clip_received", Timeout)).GetProperty("clipboard").GetString());
            Assert.Equal("through xsel", Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));
        }

        await a.SetClipboardAsync(Png(32, 32), "image/png");
        (sender, receiver) = await StartPairAsync(a, b, [], [], xselOnly);
        await using (sender)
        await using (receiver)
        {
            Check.Exit(5, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Check.Exit(3, await sender.WaitForExitAsync(Timeout), sender, "sender");
            Assert.Contains("holds text only", await ErrorOf(receiver), StringComparison.Ordinal);
            Assert.Contains("holds text only", await ErrorOf(sender), StringComparison.Ordinal);
            Assert.Equal("through xsel", Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));
        }
    }

    [Fact]
    public async Task Watch_carries_new_content_both_ways_without_sending_back_what_it_received()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        await a.SetClipboardAsync("before the session on A"u8.ToArray());
        await b.SetClipboardAsync("before the session on B"u8.ToArray());

        (TallowProcess left, TallowProcess right) = await StartPairAsync(a, b, ["--watch"], ["--watch"]);
        await using (left)
        await using (right)
        {
            await left.WaitForEventAsync("clip_watching", Timeout);
            await right.WaitForEventAsync("clip_watching", Timeout);

            await a.SetClipboardAsync("copied on A"u8.ToArray());
            await right.WaitForEventAsync("clip_received", Timeout);
            Assert.Equal("copied on A", Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));

            await b.SetClipboardAsync(Png(64, 48), "image/png");
            JsonElement image = await left.WaitForEventAsync("clip_received", Timeout);
            Assert.Equal("image/png", image.GetProperty("type").GetString());
            Assert.Contains("image/png", await a.TargetsAsync());

            // Several polls (500 ms each) on both sides: what each received is in its clipboard now,
            // and a loop would show as more sends than the two copies above.
            await Task.Delay(TimeSpan.FromSeconds(4));
            Assert.Equal(1, Count(left, "clip_sent"));
            Assert.Equal(1, Count(right, "clip_sent"));
            Assert.Equal(1, Count(left, "clip_received"));
            Assert.Equal(1, Count(right, "clip_received"));

            left.Interrupt();
            JsonElement peerLeft = await right.WaitForEventAsync("peer_left", Timeout);
            Assert.Equal("interrupted", peerLeft.GetProperty("reason").GetString());
            Check.Exit(130, await left.WaitForExitAsync(Timeout), left, "left");
            Check.Exit(0, await right.WaitForExitAsync(Timeout), right, "right");
        }
    }

    [Fact]
    public async Task A_one_shot_receiver_of_a_watching_sender_takes_the_next_copy_and_leaves()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        await using XDisplay b = await XDisplay.StartAsync();
        await a.SetClipboardAsync("already there"u8.ToArray());
        (TallowProcess watcher, TallowProcess receiver) = await StartPairAsync(a, b, ["--watch"], []);
        await using (watcher)
        await using (receiver)
        {
            await watcher.WaitForEventAsync("clip_watching", Timeout);
            await a.SetClipboardAsync("the next copy"u8.ToArray());
            Check.Exit(0, await receiver.WaitForExitAsync(Timeout), receiver, "receiver");
            Assert.Equal("the next copy", Encoding.UTF8.GetString(await b.ReadClipboardAsync() ?? []));
            await watcher.WaitForEventAsync("peer_left", Timeout);
            Check.Exit(0, await watcher.WaitForExitAsync(Timeout), watcher, "watcher");
            Assert.Equal(1, Count(watcher, "clip_sent"));
        }
    }

    [Fact]
    public async Task Without_a_clipboard_tool_text_goes_to_the_terminal_as_osc_52()
    {
        await using XDisplay a = await XDisplay.StartAsync();
        const string text = "over ssh ✓";
        await a.SetClipboardAsync(Encoding.UTF8.GetBytes(text));
        TallowProcess sender = TallowProcess.Start(["clip", "--json", "--relay", fixture.Relay.Address], environment: a.Environment);
        await using (sender)
        {
            string code = (await sender.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
            await using PtyProcess receiver = PtyProcess.Start(["clip", code, "--relay", fixture.Relay.Address], environment: NoDisplay);
            await receiver.WaitForTextAsync("Received text", Timeout);
            Assert.Equal(0, await receiver.WaitForExitAsync(Timeout));
            string osc52 = "\u001b]52;c;" + Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) + "\u0007";
            Assert.Contains(osc52, receiver.Raw, StringComparison.Ordinal);
            Assert.Contains("the terminal (OSC 52)", receiver.Text, StringComparison.Ordinal);
            Check.Exit(0, await sender.WaitForExitAsync(Timeout), sender, "sender");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_a_clipboard_tool_or_a_terminal_the_error_names_the_packages(bool receiving)
    {
        string[] args = receiving ? ["clip", "7-alpha-bravo-charlie", "--relay", fixture.Relay.Address] : ["clip", "--relay", fixture.Relay.Address];
        TallowProcess tallow = TallowProcess.Start(args, environment: NoDisplay);
        await using (tallow)
        {
            Check.Exit(5, await tallow.WaitForExitAsync(Timeout), tallow, "tallow");
            foreach (string package in new[] { "wl-clipboard", "xclip", "xsel" })
            {
                Assert.Contains(package, tallow.Stderr, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("Code is", tallow.Stderr, StringComparison.Ordinal); // it failed before opening anything
        }
    }

    [Fact]
    public void Help_names_the_clipboard_tools_and_the_exit_codes()
    {
        ToolResult help = Tool.Run(Timeout, Repo.TallowBinary, "clip", "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (string line in new[] { "--watch", "--max-size <SIZE>", "--print", "wl-clipboard", "xclip, else xsel", "OSC 52", "Exit codes:", "130  interrupted" })
        {
            Assert.Contains(line, help.Stdout, StringComparison.Ordinal);
        }

        ToolResult root = Tool.Run(Timeout, Repo.TallowBinary, "--help");
        Assert.DoesNotContain("Exit codes:", root.Stdout, StringComparison.Ordinal); // the footer is clip's own
    }

    private static Dictionary<string, string?> NoDisplay => new() { ["DISPLAY"] = null, ["WAYLAND_DISPLAY"] = null };

    private async Task<(TallowProcess Creator, TallowProcess Joiner)> StartPairAsync(XDisplay a, XDisplay b, string[] aArgs, string[] bArgs, Dictionary<string, string?>? bEnvironment = null)
    {
        TallowProcess creator = TallowProcess.Start(["clip", "--json", "--relay", fixture.Relay.Address, .. aArgs], environment: a.Environment);
        string code = (await creator.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
        TallowProcess joiner = TallowProcess.Start(["clip", code, "--json", "--relay", fixture.Relay.Address, .. bArgs], environment: bEnvironment ?? b.Environment);
        return (creator, joiner);
    }

    private static int Count(TallowProcess process, string name) => process.Events.Count(e => e.GetProperty("event").GetString() == name);

    private static async Task<string> ErrorOf(TallowProcess process) =>
        (await process.WaitForEventAsync("error", Timeout)).GetProperty("message").GetString()!;

    /// <summary>A real PNG (8-bit RGB, no filter) of random pixels.</summary>
    private static byte[] Png(int width, int height)
    {
        byte[] raw = new byte[height * (1 + (width * 3))];
        RandomNumberGenerator.Fill(raw);
        for (int row = 0; row < height; row++)
        {
            raw[row * (1 + (width * 3))] = 0; // filter type None
        }

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw);
        }

        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typeAndData));
        png.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xffffffff;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xedb88320 ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}

[CollectionDefinition(Name)]
public sealed class ClipCollection
{
    public const string Name = "Clip";
}
