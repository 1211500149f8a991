// Target "client-config": the client's config.toml, decoded as File.ReadAllText would, through
// ClientConfigFile.Parse and ClientSettings.Resolve with no flags and no environment, as every
// command does. Documented rejection: TallowException (usage). Invariant: a refusal never quotes
// a value's text, only key names (the seeds' relay-pass is the marker "pw-SECRET"; the first run
// found Tomlyn's "Expecting `=` after a key instead of <token>" quoting it: TomlSettingsReader.Redact).
using System.Text;
using Tallow.Cli.Commands;
using Tallow.Protocol;

namespace Tallow.Fuzz.Targets.Cli;

public static class ClientConfigTarget
{
    public static readonly FuzzTarget ClientConfig = new("client-config", "ClientConfigFile.Parse, ClientSettings.Resolve", Fuzz, Seeds);

    private const string SecretMarker = "pw-SECRET";

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        string text;
        using (var reader = new StreamReader(new MemoryStream(data.ToArray()), Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            text = reader.ReadToEnd();
        }

        try
        {
            ClientConfigFile file = ClientConfigFile.Parse(text, "fuzz.toml", "/home/fuzz");
            _ = ClientSettings.Resolve(new ClientFlags(), file, _ => null);
        }
        catch (TallowException e)
        {
            FuzzInvariantException.Check(e.Kind == FailureKind.Usage, "client config: a refusal that is not a usage error");
            // Key names are shown by design ("unknown key 'x'"); a mutated key may contain the marker.
            string withoutKeyNames = System.Text.RegularExpressions.Regex.Replace(e.Message, "key '[^']*'", "key");
            FuzzInvariantException.Check(!withoutKeyNames.Contains(SecretMarker, StringComparison.Ordinal), "client config: a refusal quotes a value");
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        yield return """
            # tallow settings
            relay = "tls://relay.example.org:4433"
            relay-fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
            relay-pass = "pw-SECRET"
            proxy = "socks5://ann:pw@127.0.0.1:1080"
            no-p2p = false
            out = "~/Downloads"
            words = 4
            history = true
            """u8.ToArray();
        yield return "relay-pass = \"pw-SECRET\"\nrelay-pass = \"pw-SECRET\"\n"u8.ToArray();
        yield return "relay-pass = pw-SECRET\r\nwords = 99\r\n[t]\n"u8.ToArray();
        yield return "\uFEFFrelay = '[::1]:5000'\n\"words\" = 3\nout = \"\"\n"u8.ToArray();
    }
}
