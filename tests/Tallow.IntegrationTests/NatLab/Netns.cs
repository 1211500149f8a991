// Thin wrappers around `ip` / `iptables` / `ip netns exec` for the NAT lab. Every command is
// bounded (15 s) and fails loudly with its stderr. Nothing here touches the root namespace's
// interfaces or firewall: links are created directly inside named namespaces (`ip -n NS link add
// … peer … netns NS2`) and iptables always runs through `ip netns exec NS`.
using System.Diagnostics;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.NatLab;

public static class Netns
{
    private static readonly Lazy<string?> Unavailable = new(FindUnavailableReason);

    /// <summary>Null when the lab can run here; otherwise why not (used as the xunit Skip reason).</summary>
    public static string? UnavailableReason => Unavailable.Value;

    public static string Run(params string[] args) => Run(TimeSpan.FromSeconds(15), true, args);

    public static string TryRun(params string[] args) => Run(TimeSpan.FromSeconds(15), false, args);

    public static string Run(TimeSpan timeout, bool check, params string[] args) =>
        check ? Tool.Check(timeout, args) : Tool.Run(timeout, args).Stdout;

    /// <summary>Runs a command inside a namespace.</summary>
    public static string Exec(string ns, params string[] args) => Run(["ip", "netns", "exec", ns, .. args]);

    public static void Iptables(string ns, params string[] rule) => Exec(ns, ["iptables", "-w", "5", .. rule]);

    public static IReadOnlyList<string> List() =>
        [.. TryRun("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split(' ')[0])];

    /// <summary>Kills every process still running in the namespace (by PID) and deletes it.</summary>
    public static void Delete(string ns)
    {
        foreach (string pid in TryRun("ip", "netns", "pids", ns).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(pid, out int id))
            {
                try
                {
                    using Process p = Process.GetProcessById(id);
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(5000);
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }

        TryRun("ip", "netns", "del", ns);
    }

    private static string? FindUnavailableReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "NAT lab needs Linux network namespaces";
        }

        if (Environment.UserName != "root" && !IsEffectiveRoot())
        {
            return "NAT lab needs root (network namespaces, veth, iptables)";
        }

        // ip, iptables and curl come from ./setup.sh: when they are missing the lab tests fail, not skip.
        return null;
    }

    private static bool IsEffectiveRoot()
    {
        try
        {
            // "Uid:	real	effective	saved	fs"
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line is not null && line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2] == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>A [Fact] that is reported as skipped (not passed) when the NAT lab cannot run here (evaluated at discovery).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NatLabFactAttribute : FactAttribute
{
    public NatLabFactAttribute()
    {
        if (Netns.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A [Theory] that is reported as skipped when the NAT lab cannot run here.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NatLabTheoryAttribute : TheoryAttribute
{
    public NatLabTheoryAttribute()
    {
        if (Netns.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>The lab tests share the machine's CPUs and use fixed in-namespace ports: never in parallel with anything.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NatLabCollection
{
    public const string Name = "NatLab";
}
