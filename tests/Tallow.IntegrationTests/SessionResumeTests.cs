// Resuming a session across a real relay restart (protocol.md "Resumption"): the published
// `tallow relay serve` with a password is killed (SIGKILL) and started again on the same port; two
// sessions of this process that lost their connection resume with their tickets (the relay
// password applies again) and exchange records on fresh keys. The watch command's own test runs
// the same across processes.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tallow.Crypto;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Chat;
using Tallow.Protocol.Session;
using Tallow.Wire;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests;

public sealed class SessionResumeTests(ITestOutputHelper output)
{
    private const string Password = "resume-relay-pass";

    [Fact]
    public async Task Two_sessions_resume_after_the_relay_process_is_killed_and_started_again_on_its_port()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        CancellationToken ct = cts.Token;
        int port = FreePort();
        var options = new SessionOptions
        {
            Relay = new RelayAddress("127.0.0.1", port),
            RelayPassword = Password,
            DirectEnabled = false,
            ResumeWindow = TimeSpan.FromSeconds(60),
        };

        TallowProcess relay = await StartRelayAsync(port);
        var sessions = new List<PeerSession>();
        try
        {
            PeerSession creator = await PeerSession.CreateRoomAsync(options, 0, ct);
            sessions.Add(creator);
            string code = CodePhrase.Generate(creator.Nameplate, 3);
            PeerSession joiner = await PeerSession.JoinRoomAsync(options, creator.Nameplate, ct);
            sessions.Add(joiner);
            await Task.WhenAll(creator.EstablishAsync(code, options, ct), joiner.EstablishAsync(code, options, ct));
            await ExchangeAsync(creator, joiner, "before", ct);
            using ResumptionTicket creatorTicket = creator.TakeResumptionTicket();
            using ResumptionTicket joinerTicket = joiner.TakeResumptionTicket();

            relay.Kill();
            await relay.DisposeAsync();
            await Task.WhenAll(creator.Records!.Ended, joiner.Records!.Ended).WaitAsync(TimeSpan.FromSeconds(90), ct);
            Assert.True(ConnectionLoss.IsLost(creator.Records!));
            Assert.True(ConnectionLoss.IsLost(joiner.Records!));

            // Both start resuming while the relay is down; it comes back 3 s later.
            var clock = Stopwatch.StartNew();
            Task<PeerSession> creating = PeerSession.ResumeAsync(creatorTicket, options, ct);
            Task<PeerSession> joining = PeerSession.ResumeAsync(joinerTicket, options, ct);
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            Assert.False(creating.IsCompleted || joining.IsCompleted);
            relay = await StartRelayAsync(port);
            TimeSpan relayBack = clock.Elapsed;
            PeerSession created = await creating.WaitAsync(TimeSpan.FromSeconds(60), ct);
            sessions.Add(created);
            PeerSession joined = await joining.WaitAsync(TimeSpan.FromSeconds(60), ct);
            sessions.Add(joined);
            TimeSpan resumed = clock.Elapsed;

            Assert.Equal(created.SafetyDigits, joined.SafetyDigits);
            await ExchangeAsync(created, joined, "after the restart", ct);
            // The creator's next attempt after the relay is back (pauses ≤ 10 s), then the joiner's (≤ 10 s later).
            Assert.InRange(resumed - relayBack, TimeSpan.Zero, TimeSpan.FromSeconds(22));
            output.WriteLine($"relay back after {relayBack.TotalSeconds:0.0} s, both resumed after {resumed.TotalSeconds:0.0} s");
        }
        finally
        {
            foreach (PeerSession session in sessions)
            {
                await session.DisposeAsync();
            }

            await relay.DisposeAsync();
        }
    }

    private static async Task<TallowProcess> StartRelayAsync(int port)
    {
        TallowProcess process = TallowProcess.Start(["relay", "serve", "--bind", $"127.0.0.1:{port}", "--probe-port", "0", "--pass", Password, "--json"]);
        try
        {
            JsonElement listening = await process.WaitForEventAsync("relay_listening", TimeSpan.FromSeconds(30));
            Assert.Equal($"127.0.0.1:{port}", listening.GetProperty("address").GetString());
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task ExchangeAsync(PeerSession a, PeerSession b, string text, CancellationToken ct)
    {
        var chatA = new ChatChannel(a.Records!.Port(RecordGroup.Chat));
        var chatB = new ChatChannel(b.Records!.Port(RecordGroup.Chat));
        await chatA.SendAsync(text, ct);
        Assert.Equal(text, (await chatB.ReceiveAsync(ct)).Text);
        await chatB.SendAsync(text + " back", ct);
        Assert.Equal(text + " back", (await chatA.ReceiveAsync(ct)).Text);
    }
}
