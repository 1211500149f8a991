// --verify (DESIGN.md §6; protocol.md "Safety numbers"): the session's safety number (six digits
// and five emoji) compared by both users before any data moves and before the direct path is
// tried. Either side may ask; then both are asked, on their terminals:
//
//   both:    SafetyCheck{Asks|NotAsked} ──▶ ◀── SafetyCheck{…}      neither asks ⇒ done
//   both:    show the number, ask "same? [y/N]"
//   both:    SafetyCheck{Confirmed|Rejected|CannotAsk} ──▶ ◀── …     both Confirmed ⇒ done
//
// A "no" means someone may be in the middle: this side stops with the authentication exit code
// and the other side is told it was rejected (it stops the same way, its question withdrawn).
// A side without a terminal cannot answer, so it fails instead of skipping the question.
using System.CommandLine;
using Tallow.Cli.Output;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

internal static class SafetyCheck
{
    public static Option<bool> CreateOption() => new("--verify") { Description = "Compare a safety number with the other side before any data moves (both sides are asked)" };

    /// <summary>Whether this process can ask its user: keys from a terminal on stdin, the question on stderr.</summary>
    internal static bool CanAsk => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    public static async Task RunAsync(PeerSession session, Reporter reporter, bool asked, CancellationToken ct)
    {
        RecordPort port = session.Records!.Port(RecordGroup.Safety);
        await port.SendAsync(RecordKind.SafetyCheck, SafetyCheckMessage.Write(asked ? SafetyState.Asks : SafetyState.NotAsked), ct).ConfigureAwait(false);
        SafetyState peer = await ExpectAsync(port, ct).ConfigureAwait(false);
        if (peer is not (SafetyState.Asks or SafetyState.NotAsked))
        {
            throw Broken();
        }

        if (!asked && peer == SafetyState.NotAsked)
        {
            return;
        }

        string digits = session.SafetyDigits;
        string emoji = session.SafetyEmoji;
        reporter.Event("verify", ("safety_number", digits), ("emoji", emoji), ("asked_by", asked ? "this side" : "the other side"));
        if (!CanAsk)
        {
            await port.SendAsync(RecordKind.SafetyCheck, SafetyCheckMessage.Write(SafetyState.CannotAsk), ct).ConfigureAwait(false);
            throw new TallowException(FailureKind.Usage, asked
                ? "--verify needs a terminal to ask whether the safety numbers match: run it on a terminal, or leave --verify out. Nothing was sent."
                : $"the other side asked to compare safety numbers (--verify), which needs a terminal here (this side's number: {digits}). Nothing was sent.");
        }

        Task<SafetyState> peerAnswer = ExpectAsync(port, ct);
        SafetyState answer = await AskAsync(digits, emoji, asked, peerAnswer, ct).ConfigureAwait(false);
        await port.SendAsync(RecordKind.SafetyCheck, SafetyCheckMessage.Write(answer), ct).ConfigureAwait(false);
        if (answer != SafetyState.Confirmed)
        {
            throw new TallowException(FailureKind.Authentication, "the safety numbers were not confirmed: someone may be in the middle. Nothing was sent; start again with a fresh code.");
        }

        if (!peerAnswer.IsCompleted)
        {
            reporter.Info("Waiting for the other side to compare the safety number…");
        }

        ThrowUnlessConfirmed(await peerAnswer.ConfigureAwait(false));
        reporter.Info("Safety numbers confirmed on both sides.");
    }

    /// <summary>
    /// Asks this side's user. When the other side's answer comes first and is not a confirmation,
    /// the question is withdrawn: there is nothing left to confirm.
    /// </summary>
    private static async Task<SafetyState> AskAsync(string digits, string emoji, bool asked, Task<SafetyState> peerAnswer, CancellationToken ct)
    {
        string who = asked ? string.Empty : " (the other side asked to compare)";
        Console.Error.Write($"Safety number: {digits}  {emoji}{who}\nDoes the other side show the same digits and the same emoji? [y/N] ");
        Task<string?> typed = Task.Run(Console.ReadLine, ct);
        Task first = await Task.WhenAny(typed, peerAnswer).WaitAsync(ct).ConfigureAwait(false);
        if (first == peerAnswer && (!peerAnswer.IsCompletedSuccessfully || peerAnswer.Result != SafetyState.Confirmed))
        {
            Console.Error.WriteLine();
            ThrowUnlessConfirmed(await peerAnswer.ConfigureAwait(false)); // a lost session throws here
        }

        string reply = (await typed.WaitAsync(ct).ConfigureAwait(false))?.Trim() ?? string.Empty;
        return reply.Equals("y", StringComparison.OrdinalIgnoreCase) || reply.Equals("yes", StringComparison.OrdinalIgnoreCase)
            ? SafetyState.Confirmed
            : SafetyState.Rejected;
    }

    private static void ThrowUnlessConfirmed(SafetyState peer)
    {
        switch (peer)
        {
            case SafetyState.Confirmed:
                return;
            case SafetyState.Rejected:
                throw new TallowException(FailureKind.Authentication,
                    "the other side says the safety numbers do not match: someone may be in the middle. Nothing was sent; start again with a fresh code.");
            case SafetyState.CannotAsk:
                throw new TallowException(FailureKind.Declined,
                    "the other side cannot compare safety numbers (it has no terminal to ask on): nothing was sent. Run it on a terminal there, or leave --verify out.");
            default:
                throw Broken();
        }
    }

    private static async Task<SafetyState> ExpectAsync(RecordPort port, CancellationToken ct)
    {
        Record record = await port.ReceiveAsync(ct).ConfigureAwait(false);
        return record.Kind == RecordKind.SafetyCheck && SafetyCheckMessage.TryParse(record.Body.Span, out SafetyState state) ? state : throw Broken();
    }

    private static TallowException Broken() => new(
        FailureKind.Authentication, "the peer broke the safety-number check (an unexpected message: incompatible version or tampering): nothing was sent.");
}
