// SafetyCheck{u8 state}: exactly one byte holding a known state; anything else is refused.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class SafetyCheckMessageTests
{
    [Theory]
    [InlineData(SafetyState.NotAsked)]
    [InlineData(SafetyState.Asks)]
    [InlineData(SafetyState.Confirmed)]
    [InlineData(SafetyState.Rejected)]
    [InlineData(SafetyState.CannotAsk)]
    public void Every_state_round_trips(SafetyState state)
    {
        Assert.True(SafetyCheckMessage.TryParse(SafetyCheckMessage.Write(state), out SafetyState parsed));
        Assert.Equal(state, parsed);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 5 })]
    [InlineData(new byte[] { 255 })]
    [InlineData(new byte[] { 2, 0 })]
    public void Other_bodies_are_refused(byte[] body)
    {
        Assert.False(SafetyCheckMessage.TryParse(body, out SafetyState parsed));
        Assert.Equal(SafetyState.NotAsked, parsed);
    }
}
