// `tallow ssh accept CODE [--key FILE]`: the side that sends its public key (protocol.md "SSH key
// exchange"). The key is chosen and checked before any connection (KeyChoice: a private key never
// leaves), then the session opens like `receive`'s (SessionSetup.JoinAsync) and on it:
//
//   accept: SshKey{line} ──▶            invite: checks, shows, asks, installs
//   accept: ◀── SshKeyResult{status, text}
//
// Installed or already present: exit 0. Declined or refused: exit 3, with the other side's words.
using System.CommandLine;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Ssh;
using Tallow.Wire;

namespace Tallow.Cli.Ssh;

internal static class SshAccept
{
    public static async Task RunAsync(ParseResult result, CommonOptions common, Reporter reporter, string[] codeWords, string? keyFile, bool verify, CancellationToken ct)
    {
        SshPublicKey key = await KeyChoice.ResolveAsync(keyFile, reporter, ct).ConfigureAwait(false);
        reporter.Info($"Public key to send: {KeyChoice.Describe(key)}");
        bool lanDiscovery = common.ResolveRelay(result) is null && common.ResolveProxy(result) is null;
        string code = await CodeSource.ForReceiveAsync(codeWords, reporter, lanDiscovery, ct, "tallow ssh accept").ConfigureAwait(false);
        await using OpenSession session = await SessionSetup.JoinAsync(result, common, reporter, code, verify, ct).ConfigureAwait(false);
        session.LeaveWhenCancelled("cancelled on the accepting side", ct);
        RecordPort port = session.Records.Port(RecordGroup.Ssh);
        await port.SendAsync(RecordKind.SshKey, new SshKeyMessage(key.Line).ToBytes(), ct).ConfigureAwait(false);
        reporter.Event("ssh_key_sent", ("type", key.Type), ("bits", key.Bits), ("fingerprint", key.Fingerprint), ("comment", key.Comment));
        reporter.Info("Key sent; waiting for the other side to check and confirm it...");

        Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
        if (record.Kind != RecordKind.SshKeyResult || !SshKeyResultMessage.TryParse(record.Body.Span, out SshKeyResultMessage answer))
        {
            throw SshInvite.Broken();
        }

        string text = TerminalText.Clean(answer.Text);
        reporter.Event("ssh_key_result", ("status", SshInvite.StatusName(answer.Status)), ("fingerprint", key.Fingerprint), ("message", answer.Text));
        switch (answer.Status)
        {
            case SshKeyStatus.Installed:
                reporter.Info($"The other side installed your key ({key.Fingerprint}): you can log in there with ssh now.");
                break;
            case SshKeyStatus.AlreadyPresent:
                reporter.Info($"The other side already had your key ({key.Fingerprint}): nothing changed; you can log in there with ssh.");
                break;
            case SshKeyStatus.Declined:
                throw new TallowException(FailureKind.Declined, "the other side declined your key: it was not installed.");
            default:
                throw new TallowException(FailureKind.Declined, $"the other side refused the key: {text}");
        }
    }
}
