// `tallow ssh invite [--user NAME]`: the side that lets a key in (protocol.md "SSH key exchange").
// It opens a session like `send` (SessionSetup.CreateAsync), prints the code, and then:
//
//   invite: ◀── SshKey{line}
//           check (SshPublicKey: no private keys, options, controls, weak or malformed keys)
//           show type, size, SHA-256 fingerprint, cleaned comment
//           already in authorized_keys ⇒ AlreadyPresent; else ask (unless --yes) ⇒ Declined
//           append (AuthorizedKeys: never through a symlink) ⇒ Installed
//   invite: SshKeyResult{status, text} ──▶
//
// Whether it can ask is settled before the code is shown: without a terminal and without --yes
// it is a usage error (exit 2), so nobody sends a key into a question no one can answer.
using System.CommandLine;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Protocol.Ssh;
using Tallow.Wire;

namespace Tallow.Cli.Ssh;

internal static class SshInvite
{
    public static async Task RunAsync(ParseResult result, CommonOptions common, Reporter reporter, CreateRequest request, string? user, bool yes, bool verify, CancellationToken ct)
    {
        UserHome target = UserHome.Resolve(user); // before any connection: a wrong --user costs no code
        if (!yes && !SafetyCheck.CanAsk)
        {
            throw new TallowException(FailureKind.Usage,
                "installing a key needs a yes from you, and there is no terminal to ask on: run it on a terminal, or add --yes to install the key the other side sends without asking.");
        }

        var keys = new AuthorizedKeys(target.Home, target.Owner);
        await using OpenSession session = await SessionSetup.CreateAsync(result, common, reporter, request, verify, ct).ConfigureAwait(false);
        session.LeaveWhenCancelled("cancelled on the inviting side", ct);
        RecordPort port = session.Records.Port(RecordGroup.Ssh);
        Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
        if (record.Kind != RecordKind.SshKey || !SshKeyMessage.TryParse(record.Body.Span, out SshKeyMessage message))
        {
            throw Broken();
        }

        KeyProblem problem = SshPublicKey.TryParse(message.Line, out SshPublicKey? key);
        if (key is null)
        {
            string why = SshPublicKey.Describe(problem);
            await AnswerAsync(port, reporter, SshKeyStatus.Refused, $"the key was refused: {why}.", null, ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Declined, $"refused what the other side sent: {why}. Nothing was installed.");
        }

        reporter.Event("ssh_key", ("type", key.Type), ("bits", key.Bits), ("fingerprint", key.Fingerprint), ("comment", key.Comment), ("user", target.Name), ("path", keys.FilePath));
        reporter.Essential($"The other side sent a public key:\n    {KeyChoice.Describe(key)}\nCompare this fingerprint with the one the other side shows: {key.Fingerprint}");

        try
        {
            if (keys.Contains(key))
            {
                await AnswerAsync(port, reporter, SshKeyStatus.AlreadyPresent, "the key was already installed.", key, ct).ConfigureAwait(false);
                reporter.Info($"This key is already in {keys.FilePath}: nothing was written.");
                return;
            }

            if (!yes && !await YesNoPrompt.AskAsync($"Add it to {keys.FilePath}, so whoever holds its private key can log in as {target.Name}?", ct).ConfigureAwait(false))
            {
                await AnswerAsync(port, reporter, SshKeyStatus.Declined, "the key was declined.", key, ct).ConfigureAwait(false);
                throw new TallowException(FailureKind.Declined, "declined: the key was not installed.");
            }

            bool added = keys.Append(key);
            await AnswerAsync(port, reporter, added ? SshKeyStatus.Installed : SshKeyStatus.AlreadyPresent, added ? "the key was installed." : "the key was already installed.", key, ct).ConfigureAwait(false);
            reporter.Info(added ? $"Installed the key in {keys.FilePath}." : $"This key is already in {keys.FilePath}: nothing was written.");
        }
        catch (TallowException failure) when (failure.Kind == FailureKind.FileSystem)
        {
            // The local reason (paths, errno) stays here; the other side learns only that it failed.
            await AnswerAsync(port, reporter, SshKeyStatus.Refused, "the inviting side could not write its authorized_keys file (it shows why).", key, ct).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task AnswerAsync(RecordPort port, Reporter reporter, SshKeyStatus status, string text, SshPublicKey? key, CancellationToken ct)
    {
        await port.SendAsync(RecordKind.SshKeyResult, new SshKeyResultMessage(status, text).ToBytes(), ct).ConfigureAwait(false);
        reporter.Event("ssh_key_result", ("status", StatusName(status)), ("fingerprint", key?.Fingerprint), ("message", text));
    }

    /// <summary>The status as the JSON events name it.</summary>
    public static string StatusName(SshKeyStatus status) => status switch
    {
        SshKeyStatus.Installed => "installed",
        SshKeyStatus.AlreadyPresent => "already_present",
        SshKeyStatus.Declined => "declined",
        _ => "refused",
    };

    public static TallowException Broken() => new(
        FailureKind.Error, "the peer broke the SSH key exchange (an unexpected message): nothing was installed. Both sides may need the same tallow version.");
}
