// Who gets into a chat room (protocol.md "Chat rooms"): a wrong code on joining is refused with
// exit 6 and is one failed join for the members; after three the members stop the room's
// admissions (RoomClose), and refuse newcomers themselves even when the relay ignores that.
using Tallow.Crypto;
using Tallow.IntegrationTests.Hostile;

namespace Tallow.IntegrationTests.Chat;

public enum RoomRelayKind
{
    /// <summary>`tallow relay serve` as a process.</summary>
    Real,

    /// <summary>The in-process test relay, honouring RoomClose.</summary>
    TestHonouringClose,

    /// <summary>The in-process test relay, ignoring RoomClose (it keeps admitting).</summary>
    TestIgnoringClose,
}

[Collection(ChatCollection.Name)]
public sealed class ChatRoomAdmissionTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Theory]
    [InlineData(RoomRelayKind.Real)]
    [InlineData(RoomRelayKind.TestHonouringClose)]
    [InlineData(RoomRelayKind.TestIgnoringClose)]
    public async Task Three_wrong_codes_close_the_room_and_members_refuse_newcomers_even_if_the_relay_does_not(RoomRelayKind kind)
    {
        await using HostileRoomRelay testRelay = HostileRoomRelay.Start(honourClose: kind != RoomRelayKind.TestIgnoringClose);
        string relay = kind == RoomRelayKind.Real ? fixture.Relay.Address : testRelay.Address;
        bool relayHonoursClose = kind != RoomRelayKind.TestIgnoringClose;
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay, code, "bob"))
        {
            await alice.WaitForJoinsAsync(1);
            await bob.WaitForJoinsAsync(1);
            for (int attempt = 1; attempt <= 3; attempt++)
            {
                await using RoomMember guesser = RoomMember.Join(relay, WrongCode(code), $"guess{attempt}");
                int guessExit = await guesser.Process.WaitForExitAsync(RoomMember.Timeout);
                Assert.True(guessExit == 6, $"a wrong code exited {guessExit}, not 6:\n{guesser.Process.Stdout}\n{guesser.Process.Stderr}");
                Assert.Contains("wrong code", guesser.Process.Stderr + guesser.Process.Stdout, StringComparison.OrdinalIgnoreCase);
                int seen = attempt;
                await alice.WaitUntilAsync(m => m.Events("warning").Count(w => Text(w).Contains("wrong code", StringComparison.Ordinal)) >= seen, $"warning for failed join {attempt}");
            }

            await alice.WaitUntilAsync(m => m.Events("warning").Any(w => Text(w).Contains("admits no one", StringComparison.Ordinal)), "the room closing");
            Assert.True(kind == RoomRelayKind.Real || testRelay.CloseRequests >= 1, "no member asked the relay to stop admitting");

            // The right code no longer gets in: refused by the relay, or by every member.
            await using RoomMember late = RoomMember.Join(relay, code, "late");
            int exit = await late.Process.WaitForExitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(4, exit);
            Assert.Contains(relayHonoursClose ? "admits no one" : "no member of the room finished the secure handshake", late.Process.Stderr + late.Process.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.Events("peer_joined"), e => e.GetProperty("name").GetString() == "late");
            Assert.DoesNotContain(bob.Events("peer_joined"), e => e.GetProperty("name").GetString() == "late");

            alice.Say("still here");
            await bob.WaitForMessageAsync("alice", "still here");
        }
    }

    /// <summary>A code on the same number with other words: reaches the room, fails every handshake.</summary>
    private static string WrongCode(string code)
    {
        string wrong;
        do
        {
            wrong = CodePhrase.Generate(uint.Parse(code.Split('-')[0]), code.Split('-').Length - 1);
        }
        while (wrong == code);
        return wrong;
    }

    private static string Text(System.Text.Json.JsonElement warning) => warning.GetProperty("message").GetString()!;
}
