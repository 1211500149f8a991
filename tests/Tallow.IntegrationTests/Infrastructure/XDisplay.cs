// A real virtual X server (Xvfb) for the clipboard tests, with the real xclip to put content into
// its CLIPBOARD selection and read it back. Xvfb picks a free display number itself (-displayfd)
// and listens on its local socket only (-nolisten tcp); it is killed by PID, which also ends the
// xclip processes that were serving selections on it. A machine without Xvfb or xclip fails the
// test with what to install instead of skipping it.
using System.Diagnostics;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class XDisplay : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Process _xvfb;

    private XDisplay(Process xvfb, string name)
    {
        _xvfb = xvfb;
        Name = name;
    }

    /// <summary>":N", the value of DISPLAY.</summary>
    public string Name { get; }

    /// <summary>The environment of a tallow process on this display: DISPLAY set, no Wayland.</summary>
    public Dictionary<string, string?> Environment => new() { ["DISPLAY"] = Name, ["WAYLAND_DISPLAY"] = null };

    public static async Task<XDisplay> StartAsync()
    {
        Assert.True(Tool.OnPath("Xvfb") && Tool.OnPath("xclip"), "the clipboard tests need Xvfb and xclip: run ./setup.sh as root, or apt install xvfb xclip");
        var info = new ProcessStartInfo("Xvfb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", "640x480x24" })
        {
            info.ArgumentList.Add(a);
        }

        Process xvfb = Process.Start(info) ?? throw new InvalidOperationException("cannot start Xvfb");
        _ = xvfb.StandardError.ReadToEndAsync(); // its log: drained so it never blocks
        try
        {
            string? number = await xvfb.StandardOutput.ReadLineAsync().WaitAsync(Timeout);
            Assert.True(int.TryParse(number, out _), $"Xvfb did not report a display number (got '{number}')");
            return new XDisplay(xvfb, ":" + number);
        }
        catch
        {
            ChildProcess.KillTree(xvfb);
            xvfb.Dispose();
            throw;
        }
    }

    /// <summary>Puts <paramref name="content"/> into the CLIPBOARD selection as xclip would from a user's copy.</summary>
    public async Task SetClipboardAsync(byte[] content, string? type = null)
    {
        // xclip forks a child that serves the selection and keeps the pipes: only its exit is awaited.
        using Process xclip = StartXclip(type is null ? ["-i"] : ["-t", type, "-i"]);
        await xclip.StandardInput.BaseStream.WriteAsync(content);
        xclip.StandardInput.Close();
        await xclip.WaitForExitAsync().WaitAsync(Timeout);
        Assert.Equal(0, xclip.ExitCode);
    }

    /// <summary>What the CLIPBOARD selection holds as <paramref name="type"/> (xclip -o), or null when xclip fails.</summary>
    public async Task<byte[]?> ReadClipboardAsync(string type = "UTF8_STRING")
    {
        using Process xclip = StartXclip(["-t", type, "-o"]);
        xclip.StandardInput.Close();
        var output = new MemoryStream();
        Task copy = xclip.StandardOutput.BaseStream.CopyToAsync(output);
        Task<string> error = xclip.StandardError.ReadToEndAsync();
        try
        {
            await Task.WhenAll(copy, error, xclip.WaitForExitAsync()).WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            ChildProcess.KillTree(xclip);
            throw;
        }

        return xclip.ExitCode == 0 ? output.ToArray() : null;
    }

    /// <summary>The types the clipboard's owner offers (xclip -t TARGETS -o).</summary>
    public async Task<string[]> TargetsAsync() =>
        System.Text.Encoding.UTF8.GetString(await ReadClipboardAsync("TARGETS") ?? []).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private Process StartXclip(string[] args)
    {
        var info = new ProcessStartInfo("xclip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["DISPLAY"] = Name;
        foreach (string a in new[] { "-selection", "clipboard" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("cannot start xclip");
    }

    public async ValueTask DisposeAsync()
    {
        ChildProcess.KillTree(_xvfb);
        try
        {
            await _xvfb.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }

        _xvfb.Dispose();
    }
}
