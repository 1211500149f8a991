// `tallow manpage` (hidden; used by scripts/package.sh): the tallow(1) manual page in roff. The
// COMMANDS section is written from the command tree (CompletionTree), so every command and option
// the binary has is listed with its own help text; the prose around it is short and fixed here.
using System.Text;

namespace Tallow.Cli.Completion;

internal static class ManPage
{
    public static string Write(CompletionNode root, string version)
    {
        var s = new StringBuilder();
        s.Append($".TH TALLOW 1 \"\" \"tallow {Escape(version)}\" \"User Commands\"\n");
        s.Append(Head).Append('\n');
        foreach (CompletionNode node in root.SelfAndDescendants().Skip(1).Where(n => n.Children.Count == 0))
        {
            string arguments = node.Arguments == ValueKind.None ? string.Empty
                : $" [\\fI{Escape(node.ArgumentName)}\\fR{(node.ManyArguments ? "..." : string.Empty)}]";
            s.Append($".SS tallow {Escape(node.Key)} [\\fIoptions\\fR]{arguments}\n");
            s.Append(Line(node.Description));
            foreach (CompletionOption option in node.Options.Where(o => o.Names[0] != "--help"))
            {
                string names = string.Join(", ", option.Names.Select(n => $"\\fB{Escape(n)}\\fR"));
                string value = option.TakesValue ? $" \\fI{Escape(option.ValueName)}\\fR" : string.Empty;
                s.Append($".TP\n{names}{value}\n");
                s.Append(Line(option.Description));
            }
        }

        s.Append(Tail).Append('\n');
        return s.ToString();
    }

    // One paragraph line; a line may not start with '.' or '\'' (roff requests).
    private static string Line(string text) => "\\&" + Escape(text) + "\n";

    // Backslashes printed as such, '-' as a real minus (so options can be searched and copied).
    private static string Escape(string text) =>
        text.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);

    private const string Head = """
.SH NAME
tallow \- send files, folders, text and streams end\-to\-end encrypted with a short code phrase
.SH SYNOPSIS
.B tallow send
[\fIoptions\fR] [\fIpaths\fR...]
.br
.B tallow receive
[\fIoptions\fR]
.br
.B tallow
\fIcommand\fR [\fIoptions\fR]
.SH DESCRIPTION
\fBtallow\fR moves files, folders, text and streams between two people who share a short code
phrase such as \fB7\-amber\-lunar\-zodiac\fR. After a post\-quantum handshake (CPace, ML\-KEM\-1024
and X25519) everything is sealed with AES\-256\-GCM, through a relay that sees only the number in
front of the code, sizes and timing; when the two computers can reach each other, the data goes
directly. The sender prints the code and the command for the receiver; \fBtallow receive\fR asks
for the code on the terminal (Tab completes its words). A code given as an argument is visible to
other users of the computer: prefer the prompt or \fBTALLOW_CODE\fR.
.SH COMMANDS
""";

    private const string Tail = """
.SH ENVIRONMENT
.TP
.B TALLOW_CODE
The code phrase (instead of the prompt or an argument).
.TP
.B TALLOW_RELAY
Relay address, \fIhost\fR:\fIport\fR or tls://\fIhost\fR:\fIport\fR (default: the sender starts its own).
.TP
.B TALLOW_RELAY_PASS
Password of the relay; for \fBtallow relay serve\fR, the password clients must know.
.TP
.B TALLOW_RELAY_FINGERPRINT
SHA\-256 fingerprint of a tls:// relay's certificate.
.TP
.B TALLOW_PROXY
SOCKS5 proxy for reaching the relay (socks5://[\fIuser\fR:\fIpass\fR@]\fIhost\fR:\fIport\fR).
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
Internal error.
.TP
.B 2
Usage error (unknown command or option, malformed code).
.TP
.B 3
Declined or cancelled by either side.
.TP
.B 4
Network problem (relay unreachable, connection lost).
.TP
.B 5
Local file problem (missing, unreadable, not writable, disk full).
.TP
.B 6
Wrong code or relay password.
.TP
.B 130
Interrupted (Ctrl\-C).
.SH FILES
.TP
.I /etc/tallow/relay.toml
Settings of \fBtallow relay serve\fR as run by the \fBtallow\-relay\fR systemd service (not enabled on installation).
.TP
.I /etc/tallow/relay.env
TALLOW_RELAY_PASS=... for that service (mode 0600).
.SH SEE ALSO
Shell completion: \fBtallow completion bash\fR|\fBzsh\fR|\fBfish\fR.
""";
}
