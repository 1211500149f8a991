// Runs one clipboard tool (xclip, xsel, wl-paste, wl-copy) as a real process, bounded in time and
// in what it may print. Reading: stdout up to the size limit (one byte more says "too large").
// Writing: the content on stdin, then only the tool's exit is awaited, never the end of its
// output: xclip, xsel and wl-copy fork a child that keeps serving the selection and inherits the
// pipes, so waiting for end-of-file would wait until another program takes the clipboard.
using System.Diagnostics;
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.Clipboard;

internal static class ClipboardTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const int MaxErrorBytes = 4096;

    /// <summary>The tool's stdout (null when it passed <paramref name="maxBytes"/>), its exit code and its first lines of stderr.</summary>
    public static async Task<(int ExitCode, byte[]? Output, string Error)> ReadAsync(string tool, IEnumerable<string> args, long maxBytes, CancellationToken ct)
    {
        using Process process = Start(tool, args);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            process.StandardInput.Close();
            Task<string> error = ReadErrorAsync(process, timeout.Token);
            byte[]? output = await ReadBoundedAsync(process.StandardOutput.BaseStream, maxBytes, timeout.Token).ConfigureAwait(false);
            if (output is null)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return (process.ExitCode, output, await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill(process);
            throw new TallowException(FailureKind.FileSystem, $"{tool} did not answer within {Timeout.TotalSeconds:0} s: is the clipboard's owner hanging?");
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>Runs the tool with <paramref name="input"/> on stdin and waits for its exit; throws with its message when it fails.</summary>
    public static async Task WriteAsync(string tool, IEnumerable<string> args, byte[] input, CancellationToken ct)
    {
        using Process process = Start(tool, args);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(input, timeout.Token).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                // It failed before forking: nothing else holds its stderr, which ends now.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                string error = await ReadErrorAsync(process, grace.Token).ConfigureAwait(false);
                throw new TallowException(FailureKind.FileSystem, $"{tool} could not write the clipboard: {Describe(error, process.ExitCode)}");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill(process);
            throw new TallowException(FailureKind.FileSystem, $"{tool} did not take the content within {Timeout.TotalSeconds:0} s.");
        }
        catch (IOException e)
        {
            Kill(process);
            throw new TallowException(FailureKind.FileSystem, $"{tool} stopped before it took the content ({e.Message}).");
        }
    }

    /// <summary>The tool's stderr as one cleaned line, or its exit code when it said nothing.</summary>
    public static string Describe(string error, int exitCode)
    {
        string line = string.Join(' ', error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length > 0 ? TerminalText.Clean(line.Length > 300 ? line[..300] : line) : $"exit code {exitCode}";
    }

    private static Process Start(string tool, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            return Process.Start(info) ?? throw new TallowException(FailureKind.FileSystem, $"cannot start {tool}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TallowException(FailureKind.FileSystem, $"cannot start {tool}: {e.Message}.");
        }
    }

    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, long maxBytes, CancellationToken ct)
    {
        using var output = new MemoryStream();
        byte[] buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (output.Length + read > maxBytes)
            {
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    private static async Task<string> ReadErrorAsync(Process process, CancellationToken ct)
    {
        byte[]? bytes = await ReadBoundedAsync(process.StandardError.BaseStream, MaxErrorBytes, ct).ConfigureAwait(false);
        return bytes is null ? "(a long error message)" : System.Text.Encoding.UTF8.GetString(bytes);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended by itself.
        }
    }
}
