// Chat rooms under membership changes, with real processes and a real relay (the last test uses
// the in-process test relay to see what is routed; protocol.md "Chat rooms"): ten
// members at once; members joining and leaving at random points while three keep talking (every
// message exactly once and in order, no gap while a member is in); a member who left gets nothing
// later — not even sealed for it — and a member who joined sees nothing earlier.
using System.Text.RegularExpressions;
using Tallow.IntegrationTests.Hostile;

namespace Tallow.IntegrationTests.Chat;

[Collection(ChatCollection.Name)]
public sealed partial class ChatRoomChurnTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    [Fact]
    public async Task Ten_members_each_receive_every_other_members_messages_exactly_once_in_order()
    {
        string relay = fixture.Relay.Address;
        (RoomMember first, string code) = await RoomMember.OpenAsync(relay, "m0", "--capacity", "10");
        List<RoomMember> all = [first];
        try
        {
            for (int i = 1; i < 10; i++)
            {
                all.Add(RoomMember.Join(relay, code, $"m{i}"));
            }

            foreach (RoomMember m in all)
            {
                await m.WaitForJoinsAsync(9);
            }

            const int PerMember = 20;
            for (int n = 0; n < PerMember; n++)
            {
                foreach (RoomMember m in all)
                {
                    m.Say($"{m.Name} {n}");
                }
            }

            foreach (RoomMember m in all)
            {
                await m.WaitUntilAsync(x => x.Messages.Count >= 9 * PerMember, $"{9 * PerMember} messages", TimeSpan.FromSeconds(120));
                foreach (RoomMember other in all.Where(o => o != m))
                {
                    Assert.Equal(Enumerable.Range(0, PerMember).Select(n => $"{other.Name} {n}"), m.Messages.Where(x => x.From == other.Name).Select(x => x.Text));
                }

                Assert.Equal(9 * PerMember, m.Messages.Count);
            }
        }
        finally
        {
            await Task.WhenAll(all.Select(m => m.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Members_join_and_leave_at_random_points_while_three_keep_talking()
    {
        var random = new Random(1604);
        string relay = fixture.Relay.Address;
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay, "alice");
        RoomMember bob = RoomMember.Join(relay, code, "bob");
        RoomMember carol = RoomMember.Join(relay, code, "carol");
        RoomMember[] core = [alice, bob, carol];
        List<RoomMember> transients = [];
        try
        {
            foreach (RoomMember m in core)
            {
                await m.WaitForJoinsAsync(2);
            }

            // 60 rounds of 150 ms (9 s): each round every core member and every transient says its
            // next numbered line; a transient joins or leaves at random rounds (a name may come back
            // as a new process).
            Dictionary<RoomMember, int> said = [];
            List<RoomMember> present = [];
            for (int round = 0; round < 60; round++)
            {
                if (random.Next(6) == 0 && present.Count < 3)
                {
                    var joiner = RoomMember.Join(relay, code, $"t{random.Next(4)}");
                    if (present.Any(p => p.Name == joiner.Name))
                    {
                        await joiner.DisposeAsync();
                    }
                    else
                    {
                        transients.Add(joiner);
                        present.Add(joiner);
                    }
                }
                else if (random.Next(8) == 0 && present.Count > 0)
                {
                    RoomMember leaving = present[random.Next(present.Count)];
                    present.Remove(leaving);
                    leaving.Input.Close();
                }

                foreach (RoomMember m in core.Concat(present))
                {
                    int n = said.GetValueOrDefault(m);
                    m.Say($"{m.Name} {n}");
                    said[m] = n + 1;
                }

                await Task.Delay(150);
            }

            foreach (RoomMember m in core)
            {
                foreach (RoomMember other in core.Where(o => o != m))
                {
                    await m.WaitForMessageAsync(other.Name, $"{other.Name} {said[other] - 1}");
                    Assert.Equal(Enumerable.Range(0, said[other]).Select(n => $"{other.Name} {n}"), m.Messages.Where(x => x.From == other.Name).Select(x => x.Text));
                }
            }

            Assert.True(transients.Count >= 3, $"only {transients.Count} members came and went: the scenario proves little");
            foreach (RoomMember m in transients.Concat(core))
            {
                foreach (IGrouping<string, (string From, string Text)> from in m.Messages.GroupBy(x => x.From))
                {
                    int[] numbers = [.. from.Select(x => Number(x.Text, from.Key))];
                    // One run per stay of that name (a name that came back starts again at 0):
                    // within a run, consecutive numbers, nothing twice, nothing skipped.
                    for (int i = 1; i < numbers.Length; i++)
                    {
                        Assert.True(numbers[i] == numbers[i - 1] + 1 || numbers[i] < numbers[i - 1],
                            $"{m.Name} got {from.Key}'s lines {string.Join(',', numbers)}: a gap or a duplicate");
                    }
                }
            }
        }
        finally
        {
            await Task.WhenAll(core.Concat(transients).Select(m => m.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task A_member_who_left_gets_nothing_later_and_one_who_joined_sees_nothing_earlier()
    {
        await using HostileRoomRelay relay = HostileRoomRelay.Start();
        (RoomMember alice, string code) = await RoomMember.OpenAsync(relay.Address, "alice");
        await using (alice)
        await using (RoomMember bob = RoomMember.Join(relay.Address, code, "bob"))
        await using (RoomMember carol = RoomMember.Join(relay.Address, code, "carol"))
        {
            foreach (RoomMember m in new[] { alice, bob, carol })
            {
                await m.WaitForJoinsAsync(2);
            }

            byte bobId = (byte)alice.Events("peer_joined").Single(e => e.GetProperty("name").GetString() == "bob").GetProperty("id").GetInt32();
            alice.Say("early");
            await bob.WaitForMessageAsync("alice", "early");
            bob.Input.Close();
            Assert.Equal(0, await bob.Process.WaitForExitAsync(RoomMember.Timeout));
            await alice.WaitUntilAsync(m => m.Events("peer_left").Any(), "bob leaving");
            await carol.WaitUntilAsync(m => m.Events("peer_left").Any(), "bob leaving");
            int routesBefore = relay.Routes.Count;

            alice.Say("after bob left");
            carol.Say("carol after bob left");
            await carol.WaitForMessageAsync("alice", "after bob left");
            await alice.WaitForMessageAsync("carol", "carol after bob left");
            Assert.DoesNotContain(relay.Routes.Skip(routesBefore), r => r.To == bobId);

            await using RoomMember dave = RoomMember.Join(relay.Address, code, "dave");
            await dave.WaitForJoinsAsync(2);
            // A message goes to the members this side has admitted when it is said: dave's side may
            // finish the pair handshake before alice's does (CI saw "welcome dave" said into that gap).
            await alice.WaitUntilAsync(m => m.Events("peer_joined").Any(e => e.GetProperty("name").GetString() == "dave"), "dave joining");
            alice.Say("welcome dave");
            await dave.WaitForMessageAsync("alice", "welcome dave");
            Assert.DoesNotContain(dave.Messages, x => x.Text.Contains("early", StringComparison.Ordinal) || x.Text.Contains("after bob", StringComparison.Ordinal));
            Assert.Single(dave.Messages);
        }
    }

    private static int Number(string text, string from)
    {
        Match match = LineNumber().Match(text);
        Assert.True(match.Success && text.StartsWith(from + " ", StringComparison.Ordinal), $"a line '{text}' that {from} never said");
        return int.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex(@" (\d+)$")]
    private static partial Regex LineNumber();
}
