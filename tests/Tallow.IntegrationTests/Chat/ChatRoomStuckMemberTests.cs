// A member that stops reading (its process stopped with SIGSTOP) in a chat room on a real relay
// (protocol.md "Chat rooms"): the others keep talking to each other without delay (each member's
// messages wait in that member's own queue), and once its silence passes the pairs' 60 s timeout
// they report it gone and go on. Its own class (no collection): it mostly waits.
using System.Diagnostics;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Chat;

public sealed class ChatRoomStuckMemberTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Fact]
    public async Task A_stopped_member_neither_delays_the_others_nor_stays_listed_past_the_silence_timeout()
    {
        string relay = fixture.Relay.Address;
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay, code, "bob"))
        await using (RoomMember carol = RoomMember.Join(relay, code, "carol"))
        {
            foreach (RoomMember m in new[] { alice, bob, carol })
            {
                await m.WaitForJoinsAsync(2);
            }

            Tool.Check(TimeSpan.FromSeconds(10), "kill", "-STOP", bob.Process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                for (int i = 0; i < 30; i++)
                {
                    var clock = Stopwatch.StartNew();
                    alice.Say($"while bob sleeps {i}");
                    await carol.WaitForMessageAsync("alice", $"while bob sleeps {i}");
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"message {i} took {clock.Elapsed.TotalSeconds:0.0} s with bob stopped");
                    await Task.Delay(100);
                }

                foreach (RoomMember m in new[] { alice, carol })
                {
                    await m.WaitUntilAsync(x => x.Events("peer_left").Any(e => e.GetProperty("name").GetString() == "bob"), "bob reported gone", TimeSpan.FromSeconds(100));
                }

                carol.Say("after bob went quiet");
                await alice.WaitForMessageAsync("carol", "after bob went quiet");
                Assert.DoesNotContain(alice.Events("warning"), w => !w.GetProperty("message").GetString()!.Contains("member lists differ", StringComparison.Ordinal));
            }
            finally
            {
                Tool.Check(TimeSpan.FromSeconds(10), "kill", "-CONT", bob.Process.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
