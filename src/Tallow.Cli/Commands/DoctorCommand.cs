// `tallow doctor [--json]`: checks what a transfer needs with the settings in effect (the same
// resolution as send and receive: flags > environment > config file > defaults), one line each:
// ok, warn, fail or skip, what was found and, when something is wrong, the fix in words. Relay
// checks are RelayChecks; this computer's are LocalChecks. Exit 0 without a fail, 1 with one;
// a broken config file is a usage error (2) like for every command. --json: one "check" event per
// line, then a "doctor" summary.
using System.CommandLine;
using Tallow.Cli.Doctor;
using Tallow.Cli.Output;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class DoctorCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var command = new Command("doctor", "Check the relay, TLS pin, password, NAT type, IPv6, mDNS and the output folder with the settings in effect");
        common.AddSettingsTo(command);
        command.SetAction(async (result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), quiet: false);
            bool failed = false;
            int code = await CommandRunner.RunAsync(reporter, async () =>
            {
                ClientSettings settings = common.Settings(result);
                if (settings.Relay.Value is { } relay)
                {
                    _ = common.ResolveFingerprint(result, relay); // --relay-fingerprint with a plain relay: the same usage error as for a transfer
                }

                IReadOnlyList<DoctorCheck> checks = await RunChecksAsync(settings, ct).ConfigureAwait(false);
                Render(checks, reporter);
                failed = checks.Any(c => c.Status == CheckStatus.Fail);
            }).ConfigureAwait(false);
            return code == 0 && failed ? (int)FailureKind.Error : code;
        });
        return command;
    }

    private static async Task<IReadOnlyList<DoctorCheck>> RunChecksAsync(ClientSettings settings, CancellationToken ct)
    {
        var checks = new List<DoctorCheck>();
        if (settings.Relay.Value is { } relay)
        {
            checks.AddRange(await RelayChecks.RunAsync(relay, settings, ct).ConfigureAwait(false));
            checks.Add(DoctorCheck.Skip("mdns", "a relay is configured: mDNS is only used without one"));
        }
        else if (settings.Proxy.Value is not null)
        {
            checks.Add(DoctorCheck.Fail("relay", "a proxy is set but no relay: transfers through a proxy need one",
                "set relay in the config file (or TALLOW_RELAY, or --relay)"));
        }
        else
        {
            checks.AddRange(await LocalChecks.EmbeddedRelayAndMdnsAsync(ct).ConfigureAwait(false));
            checks.Add(DoctorCheck.Skip("tls", "no relay configured (the LAN relay is plain TCP; the transfer is end-to-end encrypted)"));
            checks.Add(DoctorCheck.Skip("password", "no relay configured"));
            checks.Add(DoctorCheck.Skip("nat", "no relay configured: the NAT type is measured against a relay on the internet"));
        }

        checks.Add(LocalChecks.IPv6());
        checks.Add(LocalChecks.Clock());
        checks.Add(LocalChecks.OutputFolder(settings));
        return checks;
    }

    private static void Render(IReadOnlyList<DoctorCheck> checks, Reporter reporter)
    {
        int Count(CheckStatus status) => checks.Count(c => c.Status == status);
        if (reporter.Json)
        {
            foreach (DoctorCheck check in checks)
            {
                reporter.Event("check", ("name", check.Name), ("status", Word(check.Status)), ("detail", check.Detail), ("fix", check.Fix));
            }

            reporter.Event("doctor", ("ok", Count(CheckStatus.Ok)), ("warn", Count(CheckStatus.Warn)), ("fail", Count(CheckStatus.Fail)), ("skip", Count(CheckStatus.Skip)));
            return;
        }

        foreach (DoctorCheck check in checks)
        {
            string fix = check.Fix is null ? string.Empty : " -> fix: " + check.Fix;
            Console.Out.WriteLine(TerminalText.Clean($"{Word(check.Status),-5} {check.Name,-9} {check.Detail}{fix}"));
        }

        Console.Out.WriteLine($"{Count(CheckStatus.Ok)} ok, {Count(CheckStatus.Warn)} warn, {Count(CheckStatus.Fail)} fail, {Count(CheckStatus.Skip)} skipped");
    }

    private static string Word(CheckStatus status) => status.ToString().ToLowerInvariant();
}
