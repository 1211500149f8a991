// Target "handshake": the peer handshake of DESIGN.md §6 run for real (PeerHandshake.RunAsync)
// against a peer whose bytes are the fuzz input. The first input byte picks the role (even:
// responder, reading Init then Confirm; odd: initiator, reading Response); the rest is what the
// peer sends. Hostile shares, ML-KEM keys/ciphertexts and X25519 keys reach the real checks.
// Documented rejection: TallowException (wrong code, malformed handshake, peer gone).
using Tallow.Crypto;
using Tallow.Fuzz.Targets.Support;
using Tallow.Protocol;
using Tallow.Protocol.Handshake;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Protocol;

public static class HandshakeTarget
{
    private const string Code = "7-guitarist-revenge";
    private const uint Nameplate = 7;

    public static readonly FuzzTarget Handshake = new("handshake", "PeerHandshake (HandshakeInit/HandshakeResponse.TryParse, CPace, ML-KEM, X25519)", Fuzz, Seeds);

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        Run(isInitiator: (data[0] & 1) == 1, data[1..].ToArray(), capture: null);
    }

    private static void Run(bool isInitiator, byte[] peerBytes, MemoryStream? capture)
    {
        var peer = new PeerStream(peerBytes) { Capture = capture };
        using var reader = new FrameReader(peer, initialBufferSize: 64);
        try
        {
            using SessionKeys keys = PeerHandshake.RunAsync(peer, reader, isInitiator, Code, Nameplate, TimeSpan.FromSeconds(30), CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (TallowException)
        {
            // the documented refusal
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        // The initiator's real Init (it then meets the end of the stream), answered by a real responder.
        var init = new MemoryStream();
        Run(isInitiator: true, [], init);
        var response = new MemoryStream();
        byte[] confirm = Frame.Encode(FrameType.HandshakeConfirm, new byte[HandshakeLayout.ConfirmSize]);
        Run(isInitiator: false, [.. init.ToArray(), .. confirm], response);
        byte[] responseFrame = response.ToArray()[..(Frame.HeaderSize + HandshakeLayout.ResponseSize)];

        yield return [0, .. init.ToArray(), .. confirm];
        yield return [1, .. responseFrame];
        yield return [1, .. Frame.Encode(FrameType.HandshakeAbort, [(byte)HandshakeAbortReason.VersionMismatch])];
    }
}
