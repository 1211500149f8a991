// A malicious sender built from the library (real relay, real handshake, real sealed records)
// against a real `tallow receive` process: the offer names hostile paths, the output folder holds
// planted symlinks, the data overruns the declared size or the hash is wrong. It speaks the real
// protocol up to the transfer: the safety check (not asked), and after an Accept, no direct path. The receiver must
// refuse, write nothing outside its output folder and never print a raw escape character.
using System.Text;
using Tallow.Crypto;
using Tallow.IntegrationTests.Infrastructure;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Wire;
using Record = Tallow.Protocol.Records.Record;

namespace Tallow.IntegrationTests.Hostile;

public sealed class MaliciousSenderTests(OpenRelayFixture fixture) : IClassFixture<OpenRelayFixture>
{
    private const int ChunkSize = 65536;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>An in-process sender with an established secure channel to a real receiver process.</summary>
    private sealed class Attack : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new(TimeSpan.FromSeconds(45));

        private readonly SessionOptions _options;

        private Attack(PeerSession session, TallowProcess receiver, SessionOptions options)
        {
            Session = session;
            Receiver = receiver;
            _options = options;
        }

        public PeerSession Session { get; }

        /// <summary>The raw channel: a hostile sender writes records itself (no flow-control window).</summary>
        public SecureChannel Channel => Session.Channel!;

        /// <summary>The receiver's answers, as the session's read loop dispatches them.</summary>
        public Tallow.Protocol.Session.RecordPort Answers => Session.Records!.Port(Tallow.Wire.RecordGroup.OutgoingTransfer);

        public TallowProcess Receiver { get; }

        public CancellationToken Token => _cts.Token;

        public static Task<Attack> StartAsync(RelayProcess relay, string outDir) => StartAsync(relay, outDir, json: true);

        public static async Task<Attack> StartAsync(RelayProcess relay, string outDir, bool json)
        {
            Assert.True(RelayAddress.TryParse(relay.Address, out RelayAddress address));
            // The attacker speaks the real protocol up to the transfer, without a direct path.
            var options = new SessionOptions { Relay = address, ReceiveTimeout = TimeSpan.FromSeconds(30), DirectEnabled = false };
            using var cts = new CancellationTokenSource(Limit);
            PeerSession session = await PeerSession.CreateRoomAsync(options, 0, cts.Token);
            TallowProcess? receiver = null;
            try
            {
                string code = CodePhrase.Generate(session.Nameplate, 3);
                receiver = TallowProcess.Start(["receive", code, "--relay", relay.Address, "--out", outDir, "--yes", .. (json ? new[] { "--json" } : [])]);
                await session.EstablishAsync(code, options, cts.Token);
                await SkipSafetyCheckAsync(session, cts.Token);
                return new Attack(session, receiver, options);
            }
            catch
            {
                await session.DisposeAsync();
                if (receiver is not null)
                {
                    await receiver.DisposeAsync();
                }

                throw;
            }
        }

        /// <summary>The first records after the handshake: neither side asks to compare safety numbers.</summary>
        private static async Task SkipSafetyCheckAsync(PeerSession session, CancellationToken ct)
        {
            Tallow.Protocol.Session.RecordPort safety = session.Records!.Port(RecordGroup.Safety);
            await safety.SendAsync(RecordKind.SafetyCheck, SafetyCheckMessage.Write(SafetyState.NotAsked), ct);
            Record answer = await safety.ReceiveAsync(ct);
            Assert.True(answer.Kind == RecordKind.SafetyCheck && SafetyCheckMessage.TryParse(answer.Body.Span, out SafetyState state) && state == SafetyState.NotAsked);
        }

        /// <summary>Sends an offer of one file and returns the receiver's answer (null when it hung up).</summary>
        public Task<RecordKind?> OfferAsync(string path, long size) =>
            OfferAsync(new TransferOffer(TransferKind.Files, ChunkSize, [new OfferEntry(EntryType.File, path, (ulong)size, 0x1A4, 1_700_000_000)]));

        public async Task<RecordKind?> OfferAsync(TransferOffer offer)
        {
            byte[] body = new byte[offer.GetSize()];
            offer.Write(body);
            await Channel.SendAsync(RecordKind.Offer, body, Token);
            try
            {
                Record answer = await Answers.ReceiveAsync(Token);
                if (answer.Kind == RecordKind.Accept)
                {
                    await Session.UpgradeAsync(_options, SilentObserver.Instance, Token); // as a sender does after the answer: "no direct path"
                }

                return answer.Kind;
            }
            catch (TallowException)
            {
                return null;
            }
        }

        /// <summary>Sends Data records, then FileDone (hash of <paramref name="hashed"/>, or of the data), then End; best effort.</summary>
        public async Task SendContentAsync(IEnumerable<byte[]> chunks, byte[]? hashOverride = null, ulong? sizeOverride = null)
        {
            try
            {
                using var hasher = Blake3Hasher.New();
                ulong size = 0;
                foreach (byte[] chunk in chunks)
                {
                    hasher.Update(chunk);
                    size += (ulong)chunk.Length;
                    await Channel.SendAsync(RecordKind.Data, chunk, Token);
                }

                byte[] hash = new byte[FileDoneMessage.HashSize];
                hasher.Digest(hash);
                byte[] done = new byte[FileDoneMessage.EncodedSize];
                new FileDoneMessage(0, sizeOverride ?? size, hashOverride ?? hash).Write(done);
                await Channel.SendAsync(RecordKind.FileDone, done, Token);
                await Channel.SendAsync(RecordKind.End, ReadOnlyMemory<byte>.Empty, Token);
                await Answers.ReceiveAsync(Token); // Done (or ReceiverCancel)
            }
            catch (TallowException)
            {
                // The receiver hung up: expected for the hostile cases.
            }
        }

        public async Task<int> WaitForReceiverAsync() => await Receiver.WaitForExitAsync(Limit);

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            await Receiver.DisposeAsync();
            _cts.Dispose();
        }
    }

    /// <summary>Every entry under <paramref name="root"/> except those inside <paramref name="outDir"/>, with file contents' hashes.</summary>
    private static SortedDictionary<string, string> Snapshot(string root, string outDir)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry == outDir || entry.StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            var info = new FileInfo(entry);
            string what = info.LinkTarget is not null ? "link:" + info.LinkTarget
                : Directory.Exists(entry) ? "dir"
                : "file:" + TempDir.Sha256(entry);
            result[entry] = what;
        }

        return result;
    }

    private static void AssertNoEscapes(TallowProcess receiver)
    {
        Assert.DoesNotContain('\u001b', receiver.Stdout);
        Assert.DoesNotContain('\u001b', receiver.Stderr);
        Assert.DoesNotContain("   at ", receiver.Stderr + receiver.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("internal error", receiver.Stderr + receiver.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    private static void AssertOnlyPartFiles(string outDir)
    {
        foreach (string f in Directory.GetFiles(outDir, "*", SearchOption.AllDirectories))
        {
            Assert.True(Path.GetFileName(f).EndsWith(".tallow-part", StringComparison.Ordinal) || Path.GetFileName(f).EndsWith(".tallow-resume", StringComparison.Ordinal), $"unexpected file in the output folder: {f}");
        }
    }

    private static string Describe(int exit, TallowProcess receiver) => $"receiver exit {exit}\nstdout:\n{receiver.Stdout}\nstderr:\n{receiver.Stderr}";

    private static string HostilePath(string name, TempDir dir) => name switch
    {
        "dotdot" => "../x",
        "etc" => "/etc/tallow-test-x",
        "abs-temp" => dir.Combine("abs-x"),
        "inner-dotdot" => "a/../../x",
        "dot" => "./x",
        "con" => "CON",
        "con.txt" => "con.txt",
        "lpt1-space" => "lpt1 .txt",
        "nul-char" => "x\0y",
        "ansi" => "\u001b[31mred",
        "ansi-in-dir" => "d\u001b]0;pwned\u0007/x",
        "c1-csi" => "x\u009b31my",
        "rtl-override" => "evil\u202Etxt.exe",
        "drive" => "C:/x",
        "backslash" => "a\\..\\x",
        "empty-component" => "a//b",
        "trailing-slash" => "a/",
        "empty" => "",
        "too-long" => new string('a', 256),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("dotdot")]
    [InlineData("etc")]
    [InlineData("abs-temp")]
    [InlineData("inner-dotdot")]
    [InlineData("dot")]
    [InlineData("con")]
    [InlineData("con.txt")]
    [InlineData("lpt1-space")]
    [InlineData("nul-char")]
    [InlineData("ansi")]
    [InlineData("ansi-in-dir")]
    [InlineData("c1-csi")]
    [InlineData("rtl-override")]
    [InlineData("drive")]
    [InlineData("backslash")]
    [InlineData("empty-component")]
    [InlineData("trailing-slash")]
    [InlineData("empty")]
    [InlineData("too-long")]
    public async Task HostilePath_IsRefused(string name)
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        SortedDictionary<string, string> before = Snapshot(dir.Path, outDir);
        string path = HostilePath(name, dir);
        byte[] content = Encoding.UTF8.GetBytes("hostile content\n");

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        RecordKind? answer = await attack.OfferAsync(path, content.Length);
        if (answer == RecordKind.Accept)
        {
            await attack.SendContentAsync([content]);
        }

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit != 0, $"offer of {PathForMessage(path)} was not refused: {Describe(exit, attack.Receiver)}");
        Assert.NotEqual(RecordKind.Accept, answer);
        Assert.Equal(before, Snapshot(dir.Path, outDir));
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
        Assert.False(File.Exists("/etc/tallow-test-x"));
        AssertNoEscapes(attack.Receiver);
    }

    private static string PathForMessage(string path) => Tallow.Protocol.Transfer.PathSanitizer.Printable(path);

    [Fact]
    public async Task SymlinkedFolder_IsNotFollowed()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        string outside = dir.Combine("outside");
        Directory.CreateDirectory(outDir);
        Directory.CreateDirectory(outside);
        Directory.CreateSymbolicLink(Path.Combine(outDir, "sub"), outside);
        SortedDictionary<string, string> before = Snapshot(dir.Path, outDir);

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        byte[] content = Encoding.UTF8.GetBytes("through the link\n");
        RecordKind? answer = await attack.OfferAsync("sub/x", content.Length);
        if (answer == RecordKind.Accept)
        {
            await attack.SendContentAsync([content]);
        }

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit != 0, Describe(exit, attack.Receiver));
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Equal(before, Snapshot(dir.Path, outDir));
        AssertNoEscapes(attack.Receiver);
    }

    [Fact]
    public async Task SymlinkedPartFile_IsLeftAloneNotFollowed()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        string victim = dir.Combine("victim.txt");
        File.WriteAllText(victim, "precious\n");
        File.CreateSymbolicLink(Path.Combine(outDir, "f.txt.tallow-part"), victim);
        SortedDictionary<string, string> before = Snapshot(dir.Path, outDir);

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        byte[] content = Encoding.UTF8.GetBytes("new content\n");
        Assert.Equal(RecordKind.Accept, await attack.OfferAsync("f.txt", content.Length));
        await attack.SendContentAsync([content]);

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit == 0, Describe(exit, attack.Receiver));
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal(before, Snapshot(dir.Path, outDir));
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(outDir, "f.txt")));
        Assert.Null(new FileInfo(Path.Combine(outDir, "f.txt")).LinkTarget);
        // The link is not this transfer's to remove (it is not even a part file): it stays as it was,
        // and the part file went beside it and is gone.
        Assert.Equal(victim, new FileInfo(Path.Combine(outDir, "f.txt.tallow-part")).LinkTarget);
        Assert.Equal(["f.txt", "f.txt.tallow-part"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertNoEscapes(attack.Receiver);
    }

    [Fact]
    public async Task SymlinkedTarget_IsNotOverwritten()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        string victim = dir.Combine("victim.txt");
        File.WriteAllText(victim, "precious\n");
        string link = Path.Combine(outDir, "f.txt");
        File.CreateSymbolicLink(link, victim);
        SortedDictionary<string, string> before = Snapshot(dir.Path, outDir);

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        byte[] content = Encoding.UTF8.GetBytes("new content\n");
        Assert.Equal(RecordKind.Accept, await attack.OfferAsync("f.txt", content.Length));
        await attack.SendContentAsync([content]);

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit == 0, Describe(exit, attack.Receiver));
        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal(before, Snapshot(dir.Path, outDir));
        Assert.Equal(victim, new FileInfo(link).LinkTarget);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(outDir, "f (1).txt")));
        AssertNoEscapes(attack.Receiver);
    }

    public static TheoryData<string> DataFaults => new() { "oversized-record", "extra-record", "short", "wrong-hash", "wrong-size-in-done" };

    [Theory]
    [MemberData(nameof(DataFaults))]
    public async Task BadData_KeepsNothingUnderItsName(string fault)
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        SortedDictionary<string, string> before = Snapshot(dir.Path, outDir);
        byte[] declared = new byte[100_000];
        Random.Shared.NextBytes(declared);

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        Assert.Equal(RecordKind.Accept, await attack.OfferAsync("f.bin", declared.Length));
        switch (fault)
        {
            case "oversized-record": // one record longer than the whole declared file
                await attack.SendContentAsync([[.. declared, .. new byte[5000]]]);
                break;
            case "extra-record": // the declared size, then one more chunk before FileDone
                await attack.SendContentAsync([declared[..ChunkSize], declared[ChunkSize..], new byte[10]]);
                break;
            case "short": // less than declared, FileDone honest about it
                await attack.SendContentAsync([declared[..50_000]]);
                break;
            case "wrong-hash":
                await attack.SendContentAsync([declared[..ChunkSize], declared[ChunkSize..]], hashOverride: new byte[FileDoneMessage.HashSize]);
                break;
            case "wrong-size-in-done":
                await attack.SendContentAsync([declared], sizeOverride: (ulong)declared.Length + 1);
                break;
        }

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit != 0, Describe(exit, attack.Receiver));
        AssertOnlyPartFiles(outDir);
        Assert.Equal(before, Snapshot(dir.Path, outDir));
        AssertNoEscapes(attack.Receiver);
    }

    public static TheoryData<string> SizeLies => new() { "unknown-size-file", "negative-as-long", "sum-overflows" };

    [Theory]
    [MemberData(nameof(SizeLies))]
    public async Task ImpossibleSizes_AreRefusedBeforeAccepting(string lie)
    {
        // A Files offer must declare real sizes: an "unknown" size (only meant for streams) or sizes
        // that overflow would skip the free-space check and the per-file bound on received data.
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        OfferEntry[] entries = lie switch
        {
            "unknown-size-file" => [new OfferEntry(EntryType.File, "f.bin", TransferOffer.UnknownSize, 0x1A4, 0)],
            "negative-as-long" => [new OfferEntry(EntryType.File, "f.bin", 1UL << 63, 0x1A4, 0)],
            _ => [new OfferEntry(EntryType.File, "f.bin", 1UL << 63, 0x1A4, 0), new OfferEntry(EntryType.File, "g.bin", 1UL << 63, 0x1A4, 0)],
        };

        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir);
        RecordKind? answer = await attack.OfferAsync(new TransferOffer(TransferKind.Files, ChunkSize, entries));
        if (answer == RecordKind.Accept)
        {
            await attack.SendContentAsync([new byte[1000]]);
        }

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit != 0, Describe(exit, attack.Receiver));
        Assert.NotEqual(RecordKind.Accept, answer);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
        AssertNoEscapes(attack.Receiver);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CancelReasonWithEscapes_IsPrintedSafely(bool json)
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("out");
        Directory.CreateDirectory(outDir);
        await using Attack attack = await Attack.StartAsync(fixture.Relay, outDir, json);
        Assert.Equal(RecordKind.Accept, await attack.OfferAsync("f.bin", 10_000));
        await attack.Channel.SendAsync(RecordKind.Data, new byte[1000], attack.Token);
        var reason = new ReasonMessage(CancelReason.Cancelled, "bye \u001b]0;owned\u0007\u001b[2J\u009b31m");
        byte[] body = new byte[reason.GetSize()];
        reason.Write(body);
        await attack.Channel.SendAsync(RecordKind.Cancel, body, attack.Token);

        int exit = await attack.WaitForReceiverAsync();
        Assert.True(exit != 0, Describe(exit, attack.Receiver));
        Assert.Contains("bye", attack.Receiver.Stderr + attack.Receiver.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain('\u009b', attack.Receiver.Stderr + attack.Receiver.Stdout);
        AssertNoEscapes(attack.Receiver);
        AssertOnlyPartFiles(outDir);
    }
}

/// <summary>The in-process attacker has no user to tell about the (disabled) P2P upgrade.</summary>
internal sealed class SilentObserver : Tallow.Net.Direct.IP2PObserver
{
    public static readonly SilentObserver Instance = new();

    public void Attempting()
    {
    }

    public void Upgraded(System.Net.IPEndPoint peer, Tallow.Net.Direct.HandshakeRtt rtt)
    {
    }

    public void FellBack(Tallow.Wire.P2PFallbackReason reason)
    {
    }
}
