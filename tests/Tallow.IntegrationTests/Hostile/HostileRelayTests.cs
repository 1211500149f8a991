// Real `tallow send` / `tallow receive` processes talking through HostileRelay, a relay that
// tampers with the handshake or the sealed records. Every attack must end both processes with
// a clean error (no stack trace) and leave nothing under its final name in the output folder.
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

public sealed class HostileRelayTests
{
    private const int ChunkSize = 65536;

    /// <summary>16 full chunks and one partial: records Offer(1), Data(2..18), FileDone(19), End(20).</summary>
    private const long FileSize = 16L * ChunkSize + 1234;

    private const int LastDataRecord = 18;
    private const int FileDoneRecord = 19;
    private const int EndRecord = 20;

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);

    private sealed class Pair : IAsyncDisposable
    {
        public required TallowProcess Sender { get; init; }

        public required TallowProcess Receiver { get; init; }

        public required string OutDir { get; init; }

        public required string SourceFile { get; init; }

        public int SenderExit { get; set; }

        public int ReceiverExit { get; set; }

        public async Task WaitAsync(TimeSpan? timeout = null)
        {
            Task<int> receiver = Receiver.WaitForExitAsync(timeout ?? ExitTimeout);
            Task<int> sender = Sender.WaitForExitAsync(timeout ?? ExitTimeout);
            ReceiverExit = await receiver;
            SenderExit = await sender;
        }

        public async ValueTask DisposeAsync()
        {
            await Sender.DisposeAsync();
            await Receiver.DisposeAsync();
        }
    }

    private static TallowProcess StartSender(HostileRelay relay, string file)
    {
        return TallowProcess.Start(["send", file, "--relay", relay.Address, "--json", "--no-p2p", "--chunk-size", ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    private static async Task<string> CodeOfAsync(TallowProcess sender)
    {
        JsonElement code = await sender.WaitForEventAsync("code", TimeSpan.FromSeconds(30));
        return code.GetProperty("code").GetString()!;
    }

    private static TallowProcess StartReceiver(HostileRelay relay, string code, string outDir) =>
        TallowProcess.Start(["receive", code, "--relay", relay.Address, "--yes", "--no-p2p", "--out", outDir]);

    /// <summary>Starts one sender/receiver pair through the relay (the caller disposes it).</summary>
    private static async Task<Pair> StartPairAsync(HostileRelay relay, TempDir dir, string tag)
    {
        string file = dir.WriteRandomFile(Path.Combine("src-" + tag, "payload.bin"), FileSize);
        string outDir = dir.Combine("out-" + tag);
        Directory.CreateDirectory(outDir);
        TallowProcess sender = StartSender(relay, file);
        try
        {
            string code = await CodeOfAsync(sender);
            TallowProcess receiver = StartReceiver(relay, code, outDir);
            return new Pair { Sender = sender, Receiver = receiver, OutDir = outDir, SourceFile = file };
        }
        catch
        {
            await sender.DisposeAsync();
            throw;
        }
    }

    private static async Task<Pair> RunAsync(HostileStrategy strategy, TempDir dir, TimeSpan? timeout = null)
    {
        await using HostileRelay relay = HostileRelay.Start(strategy);
        Pair pair = await StartPairAsync(relay, dir, "a");
        try
        {
            await pair.WaitAsync(timeout);
            Assert.Empty(relay.Faults);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    private static void AssertCleanFailure(TallowProcess process, int exit, string who, int? expected = null)
    {
        string output = $"{who} exit {exit}\nstdout:\n{process.Stdout}\nstderr:\n{process.Stderr}";
        Assert.True(exit != 0, "expected a failure: " + output);
        if (expected is int code)
        {
            Assert.True(exit == code, $"expected exit {code}: " + output);
        }

        Assert.DoesNotContain("   at ", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", process.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", process.Stderr + process.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.True(process.Stderr.Contains("error", StringComparison.OrdinalIgnoreCase) || process.Stdout.Contains("\"error\"", StringComparison.Ordinal), "no error message: " + output);
    }

    /// <summary>Only part files (and their bookkeeping) may remain: no file under its final name.</summary>
    private static void AssertNothingFinal(string outDir)
    {
        string[] files = Directory.Exists(outDir) ? Directory.GetFiles(outDir, "*", SearchOption.AllDirectories) : [];
        foreach (string f in files)
        {
            Assert.True(Path.GetFileName(f).EndsWith(".tallow-part", StringComparison.Ordinal) || Path.GetFileName(f).EndsWith(".tallow-resume", StringComparison.Ordinal), $"unexpected file in the output folder: {f}");
        }
    }

    private static async Task AssertRecordAttackAsync(HostileStrategy strategy, Func<int> applied, TimeSpan? timeout = null, string? receiverSays = "failed authentication")
    {
        using var dir = new TempDir();
        await using Pair pair = await RunAsync(strategy, dir, timeout);
        Assert.Equal(1, applied());
        AssertCleanFailure(pair.Receiver, pair.ReceiverExit, "receiver");
        if (receiverSays is not null)
        {
            Assert.Contains(receiverSays, pair.Receiver.Stderr, StringComparison.Ordinal);
        }

        AssertCleanFailure(pair.Sender, pair.SenderExit, "sender");
        AssertNothingFinal(pair.OutDir);
    }

    [Fact]
    public async Task PassThrough_TransferSucceeds()
    {
        using var dir = new TempDir();
        await using Pair pair = await RunAsync(new HostileStrategy(), dir);
        Assert.True(pair.ReceiverExit == 0, $"receiver {pair.ReceiverExit}: {pair.Receiver.Stderr}");
        Assert.True(pair.SenderExit == 0, $"sender {pair.SenderExit}: {pair.Sender.Stdout}{pair.Sender.Stderr}");
        string received = Path.Combine(pair.OutDir, "payload.bin");
        Assert.True(File.Exists(received));
        Assert.Equal(TempDir.Sha256(pair.SourceFile), TempDir.Sha256(received));
    }

    [Theory]
    [InlineData(FrameType.HandshakeInit)]
    [InlineData(FrameType.HandshakeResponse)]
    public async Task IdentityShare_FailsAuthenticationOnBothSides(FrameType target)
    {
        using var dir = new TempDir();
        var strategy = new IdentityShareStrategy(target);
        await using Pair pair = await RunAsync(strategy, dir);
        Assert.Equal(1, strategy.Tampered);
        AssertCleanFailure(pair.Receiver, pair.ReceiverExit, "receiver", expected: 6);
        AssertCleanFailure(pair.Sender, pair.SenderExit, "sender", expected: 6);
        AssertNothingFinal(pair.OutDir);
        Assert.Empty(Directory.GetFiles(pair.OutDir, "*", SearchOption.AllDirectories));
    }

    public static TheoryData<string> Mutations => new() { "body-bit", "tag-bit", "kind-bit", "header-type", "header-length-grow", "header-length-shrink" };

    private static byte[] Mutate(string how, byte[] frame)
    {
        switch (how)
        {
            case "body-bit": // a bit of the encrypted chunk
                frame[Frame.HeaderSize + 1 + 1000] ^= 0x01;
                return frame;
            case "tag-bit": // the GCM tag
                frame[^1] ^= 0x80;
                return frame;
            case "kind-bit": // the sealed record header (kind byte): same length, same frame type
                frame[Frame.HeaderSize] ^= 0x04;
                return frame;
            case "header-type": // the frame type byte (part of the AAD)
                frame[4] = 0x21;
                return frame;
            case "header-length-grow": // a consistent frame, one byte longer: the AAD changes
                {
                    byte[] grown = new byte[frame.Length + 1];
                    frame.CopyTo(grown, 0);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(grown, (uint)(frame.Length + 1 - 4));
                    return grown;
                }

            case "header-length-shrink": // a consistent frame, one byte shorter
                {
                    byte[] shrunk = frame[..^1];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(shrunk, (uint)(shrunk.Length - 4));
                    return shrunk;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(how));
        }
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public async Task TamperedDataRecord_StopsBothSides(string how)
    {
        var strategy = new MutateRecordStrategy(Direction.ToReceiver, 5, f => Mutate(how, f));
        await AssertRecordAttackAsync(strategy, () => strategy.Tampered);
    }

    [Theory]
    [InlineData(RecordFault.Drop)]
    [InlineData(RecordFault.Duplicate)]
    [InlineData(RecordFault.SwapWithNext)]
    public async Task DroppedReplayedOrReorderedRecord_StopsBothSides(RecordFault fault)
    {
        var strategy = new RecordFaultStrategy(Direction.ToReceiver, 5, fault);
        await AssertRecordAttackAsync(strategy, () => strategy.Applied);
    }

    [Fact]
    public async Task DroppedOffer_IsDetectedByTheNextKeepAlive()
    {
        // After a dropped offer both sides wait in silence: the sender's first keep-alive (15 s
        // interval, checked every 5 s) arrives with the wrong counter and ends the session.
        var strategy = new RecordFaultStrategy(Direction.ToReceiver, 1, RecordFault.Drop);
        await AssertRecordAttackAsync(strategy, () => strategy.Applied, TimeSpan.FromSeconds(40));
    }

    [Theory]
    [InlineData(RecordFault.Duplicate, LastDataRecord)] // the last chunk twice
    [InlineData(RecordFault.Drop, FileDoneRecord)]
    [InlineData(RecordFault.SwapWithNext, LastDataRecord)] // FileDone before the last chunk
    public async Task RecordFaultsAtBoundaries_StopBothSides(RecordFault fault, int index)
    {
        var strategy = new RecordFaultStrategy(Direction.ToReceiver, index, fault);
        await AssertRecordAttackAsync(strategy, () => strategy.Applied);
    }

    [Fact]
    public async Task TamperedAccept_StopsBothSides()
    {
        // The receiver's first record (Accept) flipped on its way back to the sender.
        var strategy = new MutateRecordStrategy(Direction.ToSender, 1, f => Mutate("tag-bit", f));
        await AssertRecordAttackAsync(strategy, () => strategy.Tampered, receiverSays: null);
    }

    [Fact]
    public async Task Truncation_BeforeFileDone_KeepsNothingUnderItsName()
    {
        // Everything up to the last data record arrives; then both connections close (clean FIN).
        var strategy = new RecordFaultStrategy(Direction.ToReceiver, FileDoneRecord, RecordFault.CloseBefore);
        await AssertRecordAttackAsync(strategy, () => strategy.Applied, receiverSays: "connection to the peer was lost");
    }

    [Fact]
    public async Task Truncation_BeforeEnd_ReceiverFails()
    {
        // The file itself is complete and verified, but the End marker never comes: the receiver
        // must not report success.
        using var dir = new TempDir();
        var strategy = new RecordFaultStrategy(Direction.ToReceiver, EndRecord, RecordFault.CloseBefore);
        await using Pair pair = await RunAsync(strategy, dir);
        Assert.Equal(1, strategy.Applied);
        AssertCleanFailure(pair.Receiver, pair.ReceiverExit, "receiver");
        AssertCleanFailure(pair.Sender, pair.SenderExit, "sender");
    }

    [Fact]
    public async Task BothToldInitiator_FailTheHandshake()
    {
        // Each side sends Init and receives the other's Init where a Response belongs.
        using var dir = new TempDir();
        await using Pair pair = await RunAsync(new SameRoleStrategy(0), dir);
        AssertCleanFailure(pair.Receiver, pair.ReceiverExit, "receiver", expected: 6);
        AssertCleanFailure(pair.Sender, pair.SenderExit, "sender", expected: 6);
        Assert.Empty(Directory.GetFiles(pair.OutDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task BothToldResponder_TimeOutCleanly()
    {
        // Both wait for an Init that never comes: the 30 s handshake timeout must end both.
        using var dir = new TempDir();
        await using Pair pair = await RunAsync(new SameRoleStrategy(1), dir, TimeSpan.FromSeconds(50));
        AssertCleanFailure(pair.Receiver, pair.ReceiverExit, "receiver");
        AssertCleanFailure(pair.Sender, pair.SenderExit, "sender");
        Assert.Empty(Directory.GetFiles(pair.OutDir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task SplicedSessions_FailOnAllFourPeers()
    {
        using var dir = new TempDir();
        HostileRelay? relayRef = null;
        var strategy = new SpliceStrategy(() => relayRef!.PairedRooms);
        await using HostileRelay relay = HostileRelay.Start(strategy);
        relayRef = relay;
        await using Pair a = await StartPairAsync(relay, dir, "a");
        await using Pair b = await StartPairAsync(relay, dir, "b");
        await Task.WhenAll(a.WaitAsync(), b.WaitAsync());
        Assert.True(strategy.Crossed, "both handshakes should have completed before the streams were crossed");
        Assert.Empty(relay.Faults);
        foreach (Pair p in new[] { a, b })
        {
            AssertCleanFailure(p.Receiver, p.ReceiverExit, "receiver");
            AssertCleanFailure(p.Sender, p.SenderExit, "sender");
            Assert.Contains("authentication", p.Receiver.Stderr, StringComparison.OrdinalIgnoreCase);
            AssertNothingFinal(p.OutDir);
        }
    }
}
