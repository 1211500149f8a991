// Opening a session from the command line, shared by every command that talks to a peer
// (send, receive, chat; DESIGN.md §13). The creator: relay (configured, or an embedded LAN relay
// announced by mDNS), room, code, the line to give the other side. The joiner: relay
// (configured, or found on the LAN for the code's nameplate). Both: handshake, the record
// session's read loop, --verify, and the resumption ticket a lost session is reconnected with
// (OpenSession.ReconnectAsync). A command adds only its own protocol, and says when to try the
// direct path (OpenSession.UpgradeAsync): once it knows how much is left to move.
using System.CommandLine;
using System.Net;
using Tallow.Cli.Hosting;
using Tallow.Cli.Output;
using Tallow.Crypto;
using Tallow.Net.Discovery;
using Tallow.Net.Room;
using Tallow.Net.Session;
using Tallow.Protocol;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Cli.Commands;

/// <summary>
/// What the creator says: the joining command's verb ("receive", "chat") and the first line shown;
/// <paramref name="Code"/> is a custom code (see CodeSource) or null for a generated one;
/// <paramref name="JoinerAsksForCode"/>: the joining command asks for the code on its terminal, so
/// the command shown to the user leaves the code out of the other side's process list.
/// </summary>
/// <paramref name="ShowQr"/>: also show the joining command, code included, as a QR code (send --qr).
internal sealed record CreateRequest(string JoinVerb, string Headline, int Words, string? Code = null, bool JoinerAsksForCode = false, bool ShowQr = false);

internal static class SessionSetup
{
    private static readonly TimeSpan LanDiscoveryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Creates a room, shows the code, waits for the peer and opens the session.</summary>
    public static async Task<OpenSession> CreateAsync(ParseResult result, CommonOptions common, Reporter reporter, CreateRequest request, bool verify, CancellationToken ct)
    {
        Announced room = await AnnounceAsync(result, common, reporter, request, PeerSession.CreateRoomAsync, ct).ConfigureAwait(false);
        var open = new OpenSession(room.Peer, room.Embedded, room.Announcer);
        try
        {
            await room.Peer.EstablishAsync(room.Code, room.Peer.Options, ct).ConfigureAwait(false);
            await ConnectedAsync(open, reporter, verify, ct).ConfigureAwait(false);
            return open;
        }
        catch
        {
            await open.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a chat room for up to <paramref name="capacity"/> members and shows its code; the
    /// returned room connection carries the room (ChatRoom), the embedded relay and mDNS
    /// announcement live as long as <see cref="OpenRoom"/>.
    /// </summary>
    public static async Task<OpenRoom> CreateChatRoomAsync(ParseResult result, CommonOptions common, Reporter reporter, CreateRequest request, byte capacity, CancellationToken ct)
    {
        Announced room = await AnnounceAsync(result, common, reporter, request,
            (options, nameplate, token) => PeerSession.CreateRoutingRoomAsync(options, nameplate, capacity, token), ct).ConfigureAwait(false);
        try
        {
            RoomMembersMessage members = await room.Peer.WaitForPeerOrRoomAsync(ct).ConfigureAwait(false)
                ?? throw new TallowException(FailureKind.Network, "the relay paired this chat room instead of opening it for several members: it may be an older relay.");
            return new OpenRoom(new RoomConnection(room.Peer.TakeRoomConnection(), members, room.Peer.Nameplate), room.Code, room.Embedded, room.Announcer);
        }
        catch
        {
            await new OpenSession(room.Peer, room.Embedded, room.Announcer).DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A room the creator opened, its code shown: the session (not established yet) and what it runs on.</summary>
    private sealed record Announced(PeerSession Peer, string Code, EmbeddedRelay? Embedded, MdnsAnnouncer? Announcer);

    /// <summary>Relay (configured, or an embedded LAN relay announced by mDNS), room, code, and the line to give the other side.</summary>
    private static async Task<Announced> AnnounceAsync(
        ParseResult result, CommonOptions common, Reporter reporter, CreateRequest request,
        Func<SessionOptions, uint, CancellationToken, Task<PeerSession>> openRoom, CancellationToken ct)
    {
        int words = common.Words is null ? request.Words : common.ResolveWords(result); // --words, else the config file
        if (words < CodePhrase.MinWordCount || words > CodePhrase.MaxWordCount)
        {
            throw new TallowException(FailureKind.Usage, $"--words must be between {CodePhrase.MinWordCount} and {CodePhrase.MaxWordCount}.");
        }

        // Behind a proxy nothing may listen or announce on the LAN: no embedded relay, no mDNS (DESIGN.md §11).
        RelayAddress? configured = common.ResolveRelay(result);
        if (common.ResolveProxy(result) is not null && configured is null)
        {
            throw new TallowException(FailureKind.Usage,
                "with --proxy or --tor a relay is required (the built-in LAN relay would listen and announce this computer): pass --relay host:port or set TALLOW_RELAY.");
        }

        (string? customCode, uint requestedNameplate) = CustomCode(request.Code, reporter);
        EmbeddedRelay? embedded = configured is null ? await EmbeddedRelay.StartAsync(ct).ConfigureAwait(false) : null;
        MdnsAnnouncer? announcer = null;
        PeerSession? peer = null;
        try
        {
            SessionOptions options = common.SessionOptions(result, configured ?? embedded!.Local, configured is null ? null : common.ResolvePassword(result));
            if (embedded is not null && requestedNameplate == 0)
            {
                // A LAN may have several embedded relays, each with its own nameplate 1: a random one
                // keeps LAN discovery unambiguous (the words still carry all of the code's secrecy).
                requestedNameplate = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 1000);
            }

            peer = await openRoom(options, requestedNameplate, ct).ConfigureAwait(false);
            string code = customCode ?? CodePhrase.Generate(peer.Nameplate, words);
            RelayAddress relay = configured ?? embedded!.Advertised;
            reporter.History.Relay = configured is null ? "built-in" : relay.ToString();
            reporter.History.Redact(code);
            reporter.History.Redact(options.RelayPassword);
            announcer = embedded is not null && !IPAddress.IsLoopback(IPAddress.Parse(embedded.Advertised.Host))
                ? MdnsAnnouncer.Start(peer.Nameplate, embedded.Advertised.Port)
                : null;
            string verb = $"tallow {request.JoinVerb}";
            string relayOptions = $" --relay {relay}" + (options.RelayFingerprint is { } pin ? $" --relay-fingerprint {pin}" : string.Empty);
            string withRelay = $"{verb} {code}{relayOptions}";
            string joinCommand = announcer is not null ? $"{verb} {code}" : withRelay;
            bool needsPassword = options.RelayPassword is not null;
            reporter.Event("code", ("code", code), ("command", joinCommand), ("relay", relay.ToString()), ("lan_discovery", announcer is not null), ("relay_password_required", needsPassword));
            reporter.Info(request.Headline);
            reporter.Essential($"Code is: {code}");
            string shown = request.JoinerAsksForCode ? verb : $"{verb} {code}";
            reporter.Essential(JoinInstructions(announcer is not null ? shown : null, shown + relayOptions, request.JoinerAsksForCode, needsPassword));
            if (request.ShowQr)
            {
                reporter.QrCode(withRelay); // the code included: scanning it is the point (it is on the screen anyway)
            }

            SessionWarmup.Start(); // only now: on 2 cores its loads slowed the way to the code (~10 ms of `send --text`)

            return new Announced(peer, code, embedded, announcer);
        }
        catch
        {
            if (peer is not null)
            {
                await new OpenSession(peer, embedded, announcer).DisposeAsync().ConfigureAwait(false);
            }
            else if (embedded is not null)
            {
                await embedded.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Joins the room of <paramref name="codeText"/> and opens the session.</summary>
    public static async Task<OpenSession> JoinAsync(ParseResult result, CommonOptions common, Reporter reporter, string codeText, bool verify, CancellationToken ct) =>
        (await JoinAnyAsync(result, common, reporter, codeText, verify, chatRoomAllowed: false, ct).ConfigureAwait(false)).Session!;

    /// <summary>Joins the drop box of <paramref name="codeText"/> (tallow send --to): its routing room; a 1:1 code is refused before any handshake.</summary>
    public static async Task<OpenRoom> JoinDropBoxAsync(ParseResult result, CommonOptions common, Reporter reporter, string codeText, CancellationToken ct) =>
        (await JoinAnyAsync(result, common, reporter, codeText, verify: false, chatRoomAllowed: true, ct, pairAllowed: false).ConfigureAwait(false)).Room!;

    /// <summary>
    /// The drop box after its room ended (a lost relay connection, the relay's unpaired timeout): the
    /// routing room opened again on the same <paramref name="nameplate"/> of the configured relay,
    /// else of the built-in one (<paramref name="embedded"/>), so the code it showed still works.
    /// </summary>
    public static async Task<RoomConnection> ReopenRoutingRoomAsync(ParseResult result, CommonOptions common, RelayAddress? embedded, uint nameplate, byte capacity, CancellationToken ct)
    {
        RelayAddress? configured = common.ResolveRelay(result);
        RelayAddress relay = configured ?? embedded ?? throw new TallowException(FailureKind.Network, "the room has no relay to reopen it on: start again.");
        SessionOptions options = common.SessionOptions(result, relay, configured is null ? null : common.ResolvePassword(result));
        PeerSession peer = await PeerSession.CreateRoutingRoomAsync(options, nameplate, capacity, ct).ConfigureAwait(false);
        try
        {
            RoomMembersMessage members = peer.Nameplate == nameplate
                ? await peer.WaitForPeerOrRoomAsync(ct).ConfigureAwait(false) ?? throw new TallowException(FailureKind.Network, "the relay paired the room instead of opening it for several members.")
                : throw new TallowException(FailureKind.Network, $"the relay gave the room another number ({peer.Nameplate}), not {nameplate}.");
            return new RoomConnection(peer.TakeRoomConnection(), members, nameplate);
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Joins the chat of <paramref name="codeText"/>: a 1:1 session, or a chat room (tallow chat --multi).</summary>
    public static Task<Joined> JoinChatAsync(ParseResult result, CommonOptions common, Reporter reporter, string codeText, bool verify, CancellationToken ct) =>
        JoinAnyAsync(result, common, reporter, codeText, verify, chatRoomAllowed: true, ct);

    /// <summary>What joining led to: an open 1:1 session, or a chat room (its handshakes are ChatRoom's).</summary>
    internal sealed record Joined(OpenSession? Session, OpenRoom? Room);

    private static async Task<Joined> JoinAnyAsync(ParseResult result, CommonOptions common, Reporter reporter, string codeText, bool verify, bool chatRoomAllowed, CancellationToken ct, bool pairAllowed = true)
    {
        SessionWarmup.Start();
        if (!CodePhrase.TryNormalize(codeText, out string normalized))
        {
            throw new TallowException(FailureKind.Usage, "the code phrase is empty: type the code the other side shows.");
        }

        uint nameplate = CodePhrase.NameplateOf(normalized, out _);
        reporter.History.Redact(normalized);
        PeerSession peer = await JoinRoomAsync(result, common, reporter, nameplate, ct).ConfigureAwait(false);
        reporter.History.Relay = peer.Options.Relay.ToString();
        reporter.History.Redact(peer.Options.RelayPassword);
        var open = new OpenSession(peer, null, null);
        try
        {
            if (await peer.WaitForPeerOrRoomAsync(ct).ConfigureAwait(false) is RoomMembersMessage members)
            {
                if (!chatRoomAllowed)
                {
                    throw new TallowException(FailureKind.Usage, "this code belongs to a chat room, not a transfer: join it with 'tallow chat CODE'.");
                }

                var room = new OpenRoom(new RoomConnection(peer.TakeRoomConnection(), members, nameplate), normalized, null, null);
                await open.DisposeAsync().ConfigureAwait(false);
                return new Joined(null, room);
            }

            if (!pairAllowed)
            {
                throw new TallowException(FailureKind.Usage, "this code is not a drop box's (it belongs to a transfer or chat between two): leave out --to and run 'tallow receive' or 'tallow chat', or ask for the drop box's code.");
            }

            await peer.HandshakeAsync(normalized, peer.Options, ct).ConfigureAwait(false);
            await ConnectedAsync(open, reporter, verify, ct).ConfigureAwait(false);
            return new Joined(open, null);
        }
        catch
        {
            await open.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// After the handshake: keep the resumption ticket, tell the user, compare safety numbers when
    /// either side asks. The direct path is tried later, by the command (OpenSession.UpgradeAsync),
    /// so with --verify nothing about this side's network (candidates, dials) goes out before both
    /// users confirmed: a man in the middle learns no address from a session the users then reject.
    /// </summary>
    internal static async Task ConnectedAsync(OpenSession open, Reporter reporter, bool verify, CancellationToken ct)
    {
        open.KeepResumptionTicket();
        reporter.Event("peer_connected");
        reporter.Info("Connected; secure session established.");
        await SafetyCheck.RunAsync(open.Peer, reporter, verify, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// What to run on the other computer: <paramref name="lanCommand"/> when it finds this one by
    /// mDNS, and always the form with the relay. When the joiner asks for the code
    /// (<paramref name="typeCode"/>) the commands leave it out, so it never reaches that computer's
    /// process list or shell history. A relay with a password (<paramref name="needsPassword"/>) is
    /// named as needing one, the password itself never: the other side gets it some other way.
    /// </summary>
    internal static string JoinInstructions(string? lanCommand, string relayCommand, bool typeCode, bool needsPassword)
    {
        string type = typeCode ? "\nand type the code when it asks (Tab completes words), or set TALLOW_CODE to it first.\n" : string.Empty;
        string password = needsPassword
            ? "\nThe relay needs its password there too: set TALLOW_RELAY_PASS to it first (or add --relay-pass PASSWORD, which other users of that computer can see).\n"
            : string.Empty;
        return lanCommand is not null
            ? $"On the other computer run:\n\n    {lanCommand}\n{type}{password}\n(on this local network it finds this computer by itself; from elsewhere: {relayCommand})\n"
            : $"On the other computer run:\n\n    {relayCommand}\n{type}{password}";
    }

    /// <summary>A custom code: the normalised phrase and the nameplate it claims, or (null, 0) for a generated code.</summary>
    private static (string? Code, uint Nameplate) CustomCode(string? codeText, Reporter reporter)
    {
        if (codeText is null)
        {
            return (null, 0);
        }

        if (!CodePhrase.TryNormalize(codeText, out string normalized))
        {
            throw new TallowException(FailureKind.Usage, "the code is empty (--code or TALLOW_CODE): give a phrase, or leave it out to get a generated one.");
        }

        if (CodeSpelling.Check(normalized, maxSuggestions: 0).ShapeProblem is string problem)
        {
            throw new TallowException(FailureKind.Usage, $"the code (--code or TALLOW_CODE) cannot be used: {problem}; or give words only, without a number.");
        }

        if (CodePhrase.EstimateEntropyBits(normalized) < 40)
        {
            reporter.Warn("this code is short and easy to guess: anyone who guesses it first can join instead. Prefer a generated code.");
        }

        return (normalized, CodePhrase.NameplateOf(normalized, out _));
    }

    /// <summary>
    /// Joins the room on the configured relay or, with none configured, on the relay a creator on
    /// this LAN announces for this nameplate (DESIGN.md §10).
    /// </summary>
    private static async Task<PeerSession> JoinRoomAsync(ParseResult result, CommonOptions common, Reporter reporter, uint nameplate, CancellationToken ct)
    {
        string? password = common.ResolvePassword(result);
        if (common.ResolveRelay(result) is RelayAddress relay)
        {
            return await PeerSession.JoinRoomAsync(common.SessionOptions(result, relay, password), nameplate, ct).ConfigureAwait(false);
        }

        if (common.ResolveProxy(result) is not null)
        {
            throw new TallowException(FailureKind.Usage,
                "with --proxy or --tor a relay is required (looking for the other side on the local network would bypass the proxy): pass --relay host:port or set TALLOW_RELAY.");
        }

        reporter.Info("No relay given: looking for the other side on this local network...");
        IReadOnlyList<IPEndPoint> found = await MdnsBrowser.FindAsync(nameplate, LanDiscoveryTimeout, ct).ConfigureAwait(false);
        TallowException? last = null;
        foreach (IPEndPoint endpoint in found)
        {
            try
            {
                return await PeerSession.JoinRoomAsync(common.SessionOptions(result, new RelayAddress(endpoint.Address.ToString(), endpoint.Port), password), nameplate, ct).ConfigureAwait(false);
            }
            catch (TallowException ex)
            {
                last = ex; // another announcer of the same nameplate, or an address not reachable from here
            }
        }

        throw last ?? new TallowException(FailureKind.Network,
            $"no one with a code starting {nameplate}- found on this local network: check the code, or run the command with --relay exactly as the other side printed it (or set TALLOW_RELAY).");
    }
}
