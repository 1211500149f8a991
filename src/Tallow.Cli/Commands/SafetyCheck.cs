// --verify (DESIGN.md §6): shows the session's safety number (six digits and five emoji, both
// compared) on both sides. On a terminal the user confirms it matches the peer's before any data
// moves and before the direct path is tried; a mismatch means someone is in the middle, and the
// session ends with the authentication exit code.
using System.CommandLine;
using Tallow.Cli.Output;
using Tallow.Net.Session;
using Tallow.Protocol;

namespace Tallow.Cli.Commands;

internal static class SafetyCheck
{
    public static Option<bool> CreateOption() => new("--verify") { Description = "Show a safety number to compare with the peer before any data moves" };

    public static async Task RunAsync(PeerSession session, Reporter reporter, CancellationToken ct)
    {
        string digits = session.SafetyDigits;
        string emoji = session.SafetyEmoji;
        reporter.Event("verify", ("safety_number", digits), ("emoji", emoji));
        if (reporter.Json || Console.IsInputRedirected)
        {
            reporter.Info($"Safety number: {digits}  {emoji}  (compare it with the other side)");
            return;
        }

        Console.Error.Write($"Safety number: {digits}  {emoji}\nDoes the other side show the same digits and the same emoji? [y/N] ");
        string? answer = await Task.Run(Console.ReadLine, ct).WaitAsync(ct).ConfigureAwait(false);
        string reply = answer?.Trim() ?? string.Empty;
        if (!reply.Equals("y", StringComparison.OrdinalIgnoreCase) && !reply.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            throw new TallowException(FailureKind.Authentication, "the safety numbers were not confirmed: someone may be in the middle. Nothing was sent; start again with a fresh code.");
        }
    }
}
