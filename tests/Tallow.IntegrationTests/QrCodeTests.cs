// `tallow send --qr`: the QR code the real binary draws is read back from its stderr (half
// blocks to modules), drawn as an image and decoded with zbarimg (Debian's zbar-tools, installed
// by setup.sh): it must say exactly the receive command, code and relay included, drawn plain
// into a pipe and painted black on white on a real terminal (pty). With --json no
// QR code is drawn (the code event carries the command).
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests;

public sealed class QrCodeTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private const string QrCharacters = " ▀▄█";
    private const int PixelsPerModule = 4;

    [Fact]
    public async Task Send_qr_draws_the_receive_command_and_a_decoder_reads_it()
    {
        using var dir = new TempDir();
        string code = "43-pelican-tundra-saffron-quiver";
        await using TallowProcess sender = TallowProcess.Start(["send", "--text", "hello", "--qr", "--relay", fixture.Relay.Address],
            environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });
        for (int i = 0; i < 300 && !sender.Stderr.Contains("Code is:", StringComparison.Ordinal) && !sender.HasExited; i++)
        {
            await Task.Delay(50); // the room exists once the code is shown (at most 15 s)
        }

        Assert.True(sender.Stderr.Contains("Code is:", StringComparison.Ordinal), Check.Describe(sender, "sender"));
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--json"]);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout), sender, "sender");

        bool[,] modules = ReadQr(sender.Stderr) ?? throw new Xunit.Sdk.XunitException($"no QR code on stderr:\n{sender.Stderr}");
        string pbm = dir.Combine("qr.pbm");
        File.WriteAllText(pbm, ToPbm(modules));
        Assert.Equal($"tallow receive {code} --relay {fixture.Relay.Address}", await DecodeAsync(pbm));
    }

    [Fact]
    public async Task On_a_terminal_the_qr_code_is_painted_black_on_white_and_still_decodes()
    {
        using var dir = new TempDir();
        string code = "44-lantern-mosaic-juniper-ember";
        await using PtyProcess sender = PtyProcess.Start(["send", "--text", "hello", "--qr", "--relay", fixture.Relay.Address], rows: 60, columns: 120,
            environment: new Dictionary<string, string?> { ["TALLOW_CODE"] = code });
        await sender.WaitForTextAsync("Code is:", Check.ShortTimeout);
        await using TallowProcess receiver = TallowProcess.Start(["receive", code, "--relay", fixture.Relay.Address, "--json"]);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Assert.Equal(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout));

        Assert.Contains("\u001b[30;107m", sender.Raw, StringComparison.Ordinal);
        bool[,] modules = ReadQr(sender.Text) ?? throw new Xunit.Sdk.XunitException($"no QR code on the terminal:\n{sender.Text}");
        string pbm = dir.Combine("qr.pbm");
        File.WriteAllText(pbm, ToPbm(modules));
        Assert.Equal($"tallow receive {code} --relay {fixture.Relay.Address}", await DecodeAsync(pbm));
    }

    [Fact]
    public async Task Send_qr_with_json_draws_nothing_and_the_code_event_has_the_command()
    {
        await using TallowProcess sender = TallowProcess.Start(["send", "--text", "hello", "--qr", "--relay", fixture.Relay.Address, "--json"]);
        JsonElement codeEvent = await sender.WaitForEventAsync("code", Check.ShortTimeout);
        await using TallowProcess receiver = TallowProcess.Start(["receive", codeEvent.GetProperty("code").GetString()!, "--relay", fixture.Relay.Address, "--json"]);
        Check.Exit(0, await receiver.WaitForExitAsync(Transfer.DefaultTimeout), receiver, "receiver");
        Check.Exit(0, await sender.WaitForExitAsync(Transfer.DefaultTimeout), sender, "sender");
        Assert.True(ReadQr(sender.Stderr + sender.Stdout) is null, Check.Describe(sender, "sender"));
    }

    /// <summary>The longest run of lines made only of half blocks and spaces (at least 21 wide, a QR code's smallest side), as modules.</summary>
    private static bool[,]? ReadQr(string output)
    {
        string[] lines = output.Split('\n');
        (int start, int count) best = (0, 0);
        for (int i = 0; i < lines.Length;)
        {
            int j = i;
            while (j < lines.Length && lines[j].Length >= 21 && lines[j].Length == lines[i].Length && lines[j].All(c => QrCharacters.Contains(c)))
            {
                j++;
            }

            if (j - i > best.count)
            {
                best = (i, j - i);
            }

            i = Math.Max(j, i + 1);
        }

        if (best.count < 10)
        {
            return null;
        }

        int width = lines[best.start].Length;
        var modules = new bool[best.count * 2, width];
        for (int row = 0; row < best.count; row++)
        {
            for (int column = 0; column < width; column++)
            {
                char c = lines[best.start + row][column];
                modules[2 * row, column] = c is '█' or '▀';
                modules[(2 * row) + 1, column] = c is '█' or '▄';
            }
        }

        return modules;
    }

    /// <summary>A plain PBM image (1 = black), each module a square of pixels.</summary>
    private static string ToPbm(bool[,] modules)
    {
        int rows = modules.GetLength(0) * PixelsPerModule;
        int columns = modules.GetLength(1) * PixelsPerModule;
        var pbm = new StringBuilder($"P1\n{columns} {rows}\n");
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < columns; x++)
            {
                pbm.Append(modules[y / PixelsPerModule, x / PixelsPerModule] ? '1' : '0').Append(x + 1 < columns ? ' ' : '\n');
            }
        }

        return pbm.ToString();
    }

    private static async Task<string> DecodeAsync(string image)
    {
        var info = new ProcessStartInfo("zbarimg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "--quiet", "--raw", image })
        {
            info.ArgumentList.Add(arg);
        }

        Process zbar;
        try
        {
            zbar = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new Xunit.Sdk.XunitException("zbarimg is missing: install zbar-tools (./setup.sh does).");
        }

        using (zbar)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Task<string> stdout = zbar.StandardOutput.ReadToEndAsync(timeout.Token);
            Task<string> stderr = zbar.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await zbar.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                zbar.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(zbar.ExitCode == 0, $"zbarimg exit {zbar.ExitCode}: {await stderr}");
            return (await stdout).TrimEnd('\n');
        }
    }
}
