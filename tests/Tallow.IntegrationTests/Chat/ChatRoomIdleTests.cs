// A chat room left silent longer than every timer that could end it (protocol.md "Chat rooms"):
// 75 s, past the pairs' 15 s keep-alive and 60 s silence timeout, on a real relay (whose own idle
// rule counts the members' keep-alives and Pings). Then everyone still hears everyone, and no one
// was reported gone meanwhile. Its own class (no collection), so it runs beside the other tests.
namespace Tallow.IntegrationTests.Chat;

public sealed class ChatRoomIdleTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Fact]
    public async Task A_room_silent_for_75_seconds_still_carries_every_message()
    {
        (RoomMember alice, string code) = await RoomMember.OpenAsync(fixture.Relay.Address, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(fixture.Relay.Address, code, "bob"))
        await using (RoomMember carol = RoomMember.Join(fixture.Relay.Address, code, "carol"))
        {
            RoomMember[] all = [alice, bob, carol];
            foreach (RoomMember m in all)
            {
                await m.WaitForJoinsAsync(2);
            }

            await Task.Delay(TimeSpan.FromSeconds(75));
            foreach (RoomMember m in all)
            {
                m.Say($"{m.Name} after the silence");
            }

            foreach (RoomMember m in all)
            {
                foreach (RoomMember other in all.Where(o => o != m))
                {
                    await m.WaitForMessageAsync(other.Name, $"{other.Name} after the silence");
                }

                Assert.Empty(m.Events("peer_left"));
                Assert.Empty(m.Events("warning"));
            }
        }
    }
}
