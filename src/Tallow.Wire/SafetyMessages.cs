// SafetyCheck{u8 state} (protocol.md "Safety numbers"): right after the handshake each side says
// whether its user asked to compare safety numbers (--verify); when either did, each side then
// sends its user's answer. One byte, so a hostile value is simply not a state.
namespace Tallow.Wire;

public enum SafetyState : byte
{
    /// <summary>First message: this side did not ask to compare.</summary>
    NotAsked = 0,

    /// <summary>First message: this side asks both users to compare (--verify).</summary>
    Asks = 1,

    /// <summary>Answer: this side's user saw the same safety number.</summary>
    Confirmed = 2,

    /// <summary>Answer: this side's user said the numbers differ (or did not confirm).</summary>
    Rejected = 3,

    /// <summary>Answer: this side has no terminal to ask its user on.</summary>
    CannotAsk = 4,
}

public static class SafetyCheckMessage
{
    public const int Size = 1;

    public static bool TryParse(ReadOnlySpan<byte> body, out SafetyState state)
    {
        bool known = body.Length == Size && body[0] <= (byte)SafetyState.CannotAsk;
        state = known ? (SafetyState)body[0] : SafetyState.NotAsked;
        return known;
    }

    public static byte[] Write(SafetyState state) => [(byte)state];
}
