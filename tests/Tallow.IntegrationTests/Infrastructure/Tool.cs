// Runs a short command-line tool (ip, dpkg, bash, fish...) to completion: bounded by a timeout
// (the whole tree is killed when it passes), stdin closed, stdout and stderr captured.
using System.Diagnostics;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;
}

public static class Tool
{
    /// <summary>Runs args[0] with the rest as its arguments; throws when it does not finish within <paramref name="timeout"/>.</summary>
    public static ToolResult Run(TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {args[0]}");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            ChildProcess.KillTree(process);
            throw new TimeoutException($"'{string.Join(' ', args)}' did not finish within {timeout}");
        }

        process.WaitForExit();
        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Like <see cref="Run(TimeSpan, string[])"/>, and throws with its output when it exits non-zero.</summary>
    public static string Check(TimeSpan timeout, params string[] args)
    {
        ToolResult result = Run(timeout, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', args)}' failed ({result.ExitCode}): {result.Stderr.Trim()} {result.Stdout.Trim()}");
        }

        return result.Stdout;
    }

    /// <summary>True when <paramref name="name"/> is an executable on PATH.</summary>
    public static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
