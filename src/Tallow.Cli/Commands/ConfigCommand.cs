// `tallow config [--json]`: the effective client settings, one line each, with where each came
// from (flag, environment variable, "file PATH:LINE", or the default), resolved exactly as send,
// receive, chat, sync and watch resolve them (CommonOptions.Settings). Secrets (the relay
// password, a proxy password) are never shown: "(set)", or socks5://user:***@host:port.
// Results go to stdout; with --json one "setting" event per key after a "config_file" event.
using System.CommandLine;
using Tallow.Cli.Output;

namespace Tallow.Cli.Commands;

internal static class ConfigCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var command = new Command("config", "Show the settings in effect and where each comes from (flag, environment, config file, default)");
        common.AddSettingsTo(command);
        command.SetAction((result, ct) =>
        {
            var reporter = new Reporter(result.GetValue(common.Json), quiet: false);
            return CommandRunner.RunAsync(reporter, () =>
            {
                Render(common.Settings(result), reporter);
                return Task.CompletedTask;
            });
        });
        return command;
    }

    /// <summary>Every setting as (key, shown value, source); the password only as "(set)" / "(not set)".</summary>
    internal static IReadOnlyList<(string Key, string Value, SettingRow Origin)> Rows(ClientSettings s) =>
    [
        ("relay", s.Relay.Value?.ToString() ?? "(none: the sender starts a relay on this computer for the LAN)", Erase(s.Relay)),
        ("relay-fingerprint", s.RelayFingerprint.Value ?? "(none)", Erase(s.RelayFingerprint)),
        ("relay-pass", s.RelayPass.Value is null ? "(not set)" : "(set)", Erase(s.RelayPass)),
        ("proxy", s.Proxy.Value?.ToString() ?? "(none)", Erase(s.Proxy)),
        ("no-p2p", s.NoP2P.Value ? "true" : "false", Erase(s.NoP2P)),
        ("out", s.Out.Value, Erase(s.Out)),
        ("words", s.Words.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), Erase(s.Words)),
        ("history", s.History.Value ? "true" : "false", Erase(s.History)),
    ];

    /// <summary>"flag --relay", "env TALLOW_RELAY", "file PATH:LINE" or "default".</summary>
    internal static string Describe(SettingRow origin) => origin.Source switch
    {
        SettingSource.Flag => "flag " + origin.Where,
        SettingSource.Environment => "env " + origin.Where,
        SettingSource.File => "file " + origin.Where,
        _ => "default",
    };

    private static void Render(ClientSettings settings, Reporter reporter)
    {
        ClientConfigFile file = settings.File;
        string fileState = file.Path is null ? "no location (HOME is not set)" : file.Exists ? "read" : "not found: built-in defaults apply";
        IReadOnlyList<(string Key, string Value, SettingRow Origin)> rows = Rows(settings);
        if (reporter.Json)
        {
            reporter.Event("config_file", ("path", file.Path), ("exists", file.Exists));
            foreach ((string key, string value, SettingRow origin) in rows)
            {
                reporter.Event("setting", ("key", key), ("value", value), ("source", origin.Source.ToString().ToLowerInvariant()), ("where", origin.Where));
            }

            return;
        }

        Console.Out.WriteLine(TerminalText.Clean($"config file: {file.Path ?? "-"} ({fileState})"));
        int width = rows.Max(r => TerminalText.Width(TerminalText.Clean(r.Value)));
        foreach ((string key, string value, SettingRow origin) in rows)
        {
            Console.Out.WriteLine($"{key,-18} {TerminalText.Pad(TerminalText.Clean(value), width)}  {TerminalText.Clean(Describe(origin))}");
        }
    }

    /// <summary>Only where a setting came from: the value (maybe a secret) stays behind.</summary>
    private static SettingRow Erase<T>(Setting<T> setting) => new(setting.Source, setting.Where);

    internal readonly record struct SettingRow(SettingSource Source, string Where);
}
