// `tallow chat --multi` with real processes and a real relay (protocol.md "Chat rooms"): three members on one
// code exchange messages, each received exactly once and in each sender's order; joins and leaves
// while the room is open; a wrong code on joining.
namespace Tallow.IntegrationTests.Chat;

[Collection(ChatCollection.Name)]
public sealed class ChatRoomTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Fact]
    public async Task Three_members_each_receive_every_other_members_messages_once_and_in_order()
    {
        string relay = fixture.Relay.Address;
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay, code, "bob"))
        await using (RoomMember carol = RoomMember.Join(relay, code, "carol"))
        {
            RoomMember[] all = [alice, bob, carol];
            foreach (RoomMember m in all)
            {
                await m.WaitForJoinsAsync(2);
            }

            for (int i = 0; i < 5; i++)
            {
                foreach (RoomMember m in all)
                {
                    m.Say($"{m.Name} {i}");
                }
            }

            foreach (RoomMember m in all)
            {
                foreach (RoomMember other in all.Where(o => o != m))
                {
                    await m.WaitForMessageAsync(other.Name, $"{other.Name} 4");
                    string[] fromOther = [.. m.Messages.Where(x => x.From == other.Name).Select(x => x.Text)];
                    Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{other.Name} {i}"), fromOther);
                }

                Assert.DoesNotContain(m.Messages, x => x.From == m.Name);
            }

            bob.Input.Close();
            Assert.Equal(0, await bob.Process.WaitForExitAsync(RoomMember.Timeout));
            await alice.WaitUntilAsync(m => m.Events("peer_left").Any(e => e.GetProperty("name").GetString() == "bob"), "bob left");
            alice.Say("after bob");
            await carol.WaitForMessageAsync("alice", "after bob");
        }
    }
}
