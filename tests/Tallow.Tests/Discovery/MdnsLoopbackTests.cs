// Announcer + browser over the unicast loopback MdnsEndpoint (no multicast on real interfaces):
// the right nameplate is found and another one ignored, every sender's nameplate is listed, nothing matching returns empty within the
// timeout, dispose sends a goodbye, hostile datagrams do not stop the announcer, hostile answers
// do not fool the browser.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tallow.Net.Discovery;

namespace Tallow.Tests.Discovery;

public class MdnsLoopbackTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static Socket Listener(out int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        return socket;
    }

    private static async Task<DnsMessage> ReceiveAsync(Socket socket, CancellationToken ct)
    {
        byte[] buffer = new byte[DnsMessage.MaxSize + 1];
        while (true)
        {
            SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
            if (DnsMessage.TryParse(buffer.AsSpan(0, r.ReceivedBytes), out DnsMessage? m) == DnsParseStatus.Ok)
            {
                return m!;
            }
        }
    }

    [Fact]
    public async Task Listing_returns_every_senders_nameplate_and_nothing_when_none_answers()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        await using (MdnsAnnouncer a = MdnsAnnouncer.Start(412, 41412, MdnsEndpoint.Loopback(portA))!)
        await using (MdnsAnnouncer b = MdnsAnnouncer.Start(7, 41007, MdnsEndpoint.Loopback(portB))!)
        {
            IReadOnlyList<uint> found = [];
            for (int attempt = 0; attempt < 5 && found.Count < 2; attempt++) // the second may answer after the settle time of the first
            {
                found = [.. found.Union(await MdnsBrowser.ListNameplatesAsync(Timeout, CancellationToken.None, MdnsEndpoint.Loopback(portA, portB))).Order()];
            }

            Assert.Equal([7u, 412u], found);
        }

        var sw = Stopwatch.StartNew();
        Assert.Empty(await MdnsBrowser.ListNameplatesAsync(TimeSpan.FromMilliseconds(800), CancellationToken.None, MdnsEndpoint.Loopback(FreeUdpPort())));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
    }

    [Fact]
    public async Task Finds_the_right_nameplate_and_ignores_another()
    {
        int portA = FreeUdpPort();
        int portB = FreeUdpPort();
        await using MdnsAnnouncer a = MdnsAnnouncer.Start(7, 41007, MdnsEndpoint.Loopback(portA))!;
        await using MdnsAnnouncer b = MdnsAnnouncer.Start(8, 41008, MdnsEndpoint.Loopback(portB))!;
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Matches("^tallow-7-[0-9a-f]{8}\\._tallow\\._tcp\\.local$", a.InstanceName);

        MdnsEndpoint both = MdnsEndpoint.Loopback(portA, portB);
        var sw = Stopwatch.StartNew();
        IReadOnlyList<IPEndPoint> seven = await MdnsBrowser.FindAsync(7, Timeout, CancellationToken.None, both);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"took {sw.Elapsed}");
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 41007)], seven);

        IReadOnlyList<IPEndPoint> eight = await MdnsBrowser.FindAsync(8, Timeout, CancellationToken.None, both);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 41008)], eight);
    }

    [Fact]
    public async Task Nothing_matching_returns_empty_within_the_timeout()
    {
        int port = FreeUdpPort();
        int silent = FreeUdpPort(); // nobody listens: ICMP port unreachable must not break the browser
        await using MdnsAnnouncer other = MdnsAnnouncer.Start(8, 41008, MdnsEndpoint.Loopback(port))!;
        var sw = Stopwatch.StartNew();
        IReadOnlyList<IPEndPoint> found = await MdnsBrowser.FindAsync(9, TimeSpan.FromMilliseconds(1500), CancellationToken.None, MdnsEndpoint.Loopback(port, silent));
        Assert.Empty(found);
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(1400), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Cancellation_throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            MdnsBrowser.FindAsync(9, Timeout, cts.Token, MdnsEndpoint.Loopback(FreeUdpPort())));
    }

    [Fact]
    public async Task Announces_twice_and_says_goodbye_on_dispose()
    {
        using Socket group = Listener(out int groupPort);
        int port = FreeUdpPort();
        MdnsAnnouncer announcer = MdnsAnnouncer.Start(7, 41007, MdnsEndpoint.Loopback(port, groupPort))!;
        using var cts = new CancellationTokenSource(Timeout);
        DnsMessage first = await ReceiveAsync(group, cts.Token);
        DnsMessage second = await ReceiveAsync(group, cts.Token);
        Assert.All(first.Answers.Concat(second.Answers), r => Assert.True(r.Ttl > 0));
        Assert.Contains(first.Answers, r => r is TxtRecord t && t.TryGetValue("np", out string np) && np == "7");

        await announcer.DisposeAsync();
        DnsMessage goodbye = await ReceiveAsync(group, cts.Token);
        Assert.Contains(goodbye.Answers, r => r is PtrRecord { Ttl: 0 });
        Assert.All(goodbye.Answers, r => Assert.Equal(0u, r.Ttl));
        Assert.Empty(await MdnsBrowser.FindAsync(7, TimeSpan.FromMilliseconds(500), CancellationToken.None, MdnsEndpoint.Loopback(port)));
        await announcer.DisposeAsync(); // idempotent
    }

    [Fact]
    public async Task Hostile_datagrams_do_not_stop_the_announcer()
    {
        int port = FreeUdpPort();
        await using MdnsAnnouncer announcer = MdnsAnnouncer.Start(7, 41007, MdnsEndpoint.Loopback(port))!;
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var random = new Random(1234);
        byte[] loop = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1];
        byte[] huge = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] queryResponse = DnsMessage.Query(1, new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr)).Encode();
        queryResponse[2] = 0x84; // a "response" carrying our question: must be ignored
        // 64 questions: ours, a 251-byte name at offset 36 and 62 compressed pointers to it, a legal
        // ~1 KB query whose uncompressed echo would not fit a message
        byte[] longName = [.. Enumerable.Range(0, 4).SelectMany(_ => (byte[])[60, .. Enumerable.Repeat((byte)'a', 60)]), 5, .. "local"u8, 0];
        byte[] manyQuestions = [0, 7, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 7, .. "_tallow"u8, 4, .. "_tcp"u8, 5, .. "local"u8, 0, 0, 12, 0, 1,
            .. longName, 0, 1, 0, 1, .. Enumerable.Range(0, 62).SelectMany(_ => new byte[] { 0xC0, 36, 0, 1, 0, 1 })];
        Assert.Equal(DnsParseStatus.Ok, DnsMessage.TryParse(manyQuestions, out DnsMessage? parsedMany));
        Assert.Equal(64, parsedMany!.Questions.Count);
        var hostile = new List<byte[]> { manyQuestions };
        hostile.AddRange(new List<byte[]> { loop, huge, queryResponse, Array.Empty<byte>(), new byte[] { 0 }, new byte[DnsMessage.MaxSize + 500], new byte[65000] });
        for (int i = 0; i < 200; i++)
        {
            byte[] junk = new byte[random.Next(0, 600)];
            random.NextBytes(junk);
            hostile.Add(junk);
        }

        byte[] valid = DnsMessage.Query(9, new DnsQuestion(MdnsResponder.ServiceType, DnsType.Ptr)).Encode();
        for (int i = 0; i < 200; i++)
        {
            byte[] flipped = (byte[])valid.Clone();
            flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
            hostile.Add(flipped);
        }

        foreach (byte[] datagram in hostile)
        {
            await attacker.SendToAsync(datagram, SocketFlags.None, target);
        }

        await Task.Delay(1100); // let the unicast rate limiter refill after the flipped queries it answered
        IReadOnlyList<IPEndPoint> found = await MdnsBrowser.FindAsync(7, Timeout, CancellationToken.None, MdnsEndpoint.Loopback(port));
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 41007)], found);
    }

    [Fact]
    public async Task Hostile_answers_do_not_fool_the_browser()
    {
        using Socket fake = Listener(out int fakePort);
        using var cts = new CancellationTokenSource(Timeout);
        Task responder = Task.Run(async () =>
        {
            byte[] buffer = new byte[DnsMessage.MaxSize + 1];
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await fake.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    if (DnsMessage.TryParse(buffer.AsSpan(0, r.ReceivedBytes), out DnsMessage? q) != DnsParseStatus.Ok)
                    {
                        continue;
                    }

                    var evil = new MdnsResponder(7, 41007, "deadbeef");
                    DnsMessage good = evil.Respond(q!, [IPAddress.Loopback], legacyUnicast: true)!;
                    byte[][] replies =
                    [
                        (good with { Id = (ushort)(q!.Id + 1) }).Encode(),                                              // wrong id
                        evil.Respond(q, [IPAddress.Parse("224.0.0.1"), IPAddress.Any], legacyUnicast: true)!.Encode(), // bad addresses
                        new MdnsResponder(7, 41007, "cafebabe").Respond(q, [IPAddress.Parse("255.255.255.255")], true)!.Encode(),
                        [.. good.Encode()[..20]],                                                                       // truncated
                        new byte[9500],                                                                                 // oversize
                    ];
                    foreach (byte[] reply in replies)
                    {
                        await fake.SendToAsync(reply, SocketFlags.None, r.RemoteEndPoint, cts.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        IReadOnlyList<IPEndPoint> found = await MdnsBrowser.FindAsync(7, TimeSpan.FromMilliseconds(1500), CancellationToken.None, MdnsEndpoint.Loopback(fakePort));
        Assert.Empty(found);
        await cts.CancelAsync();
        await responder;
    }
}
