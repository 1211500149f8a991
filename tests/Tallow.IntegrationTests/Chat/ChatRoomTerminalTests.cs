// A chat room on a real terminal (pty) with two members in --json (protocol.md "Chat rooms"):
// names on messages, /members, /verify NAME showing the same safety number the member sees for
// this side, a name clash shown with the member's id, hostile names and text cleaned, /quit.
using Tallow.IntegrationTests.Hostile;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Chat;

[Collection(ChatCollection.Name)]
public sealed class ChatRoomTerminalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_terminal_room_names_senders_lists_members_and_shows_the_safety_number_each_pair_shares()
    {
        await using HostileRoomRelay relay = HostileRoomRelay.Start();
        await using PtyProcess alice = PtyProcess.Start(["chat", "--multi", "--name", "alice", "--relay", relay.Address], columns: 160);
        await alice.WaitForTextAsync("Code is: ", Timeout);
        string code = System.Text.RegularExpressions.Regex.Match(alice.Text, @"Code is: (\S+)").Groups[1].Value;
        await alice.WaitForTextAsync("You are in the room as alice", Timeout);

        await using RoomMember bob = RoomMember.Join(relay.Address, code, "bob");
        await bob.WaitForJoinsAsync(1); // this "bob" is member 1, the next one member 2
        await using RoomMember bob2 = RoomMember.Join(relay.Address, code, "bob");
        await bob2.WaitForJoinsAsync(2);
        await alice.WaitForTextAsync("bob#2 joined.", Timeout);

        bob.Say("hi \u001b[2J\u001b]0;owned\u0007 \u202e alice");
        await alice.WaitForTextAsync("bob: hi", Timeout);
        Assert.DoesNotContain("\u001b[2J", alice.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202e", alice.Raw, StringComparison.Ordinal);

        await alice.TypeAsync("hello both\r");
        await bob.WaitForMessageAsync("alice", "hello both");
        await bob2.WaitForMessageAsync("alice", "hello both");

        await alice.TypeAsync("/members\r");
        await alice.WaitForTextAsync("In the room: you (alice), bob, bob#2.", Timeout);

        bob.Say("/verify alice");
        await bob.WaitUntilAsync(m => m.Events("safety_number").Any(), "bob's safety number with alice");
        string digits = bob.Events("safety_number").First().GetProperty("digits").GetString()!;
        await alice.TypeAsync("/verify bob\r");
        await alice.WaitForTextAsync($"Safety number with bob: {digits}", Timeout);
        await alice.TypeAsync("/verify bob#2\r");
        int at = await alice.WaitForTextAsync("Safety number with bob#2: ", Timeout);
        Assert.DoesNotContain(digits, alice.Text[at..], StringComparison.Ordinal); // every pair has its own keys

        await alice.TypeAsync("/verify nobody\r");
        await alice.WaitForTextAsync("no member is called 'nobody'", Timeout);
        await alice.TypeAsync("/quit\r");
        Assert.Equal(0, await alice.WaitForExitAsync(Timeout));
        await bob.WaitUntilAsync(m => m.Events("peer_left").Any(e => e.GetProperty("name").GetString() == "alice"), "alice leaving");
    }
}
