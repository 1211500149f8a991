// The session's direct-path key (DESIGN.md §6, §9.4) and the two MACs made with it:
//   proof  = HMAC-SHA256(key, "tallow direct v1" | role | nonce_I | nonce_R)   on each new direct connection
//   resync = HMAC-SHA256(key, "tallow resync v1" | role | frames received)      on the relay after a fallback
// The role byte stops reflection (a peer's own proof sent back to it never verifies).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Tallow.Net.Direct;

public sealed class DirectPathKey : IDisposable
{
    public const byte InitiatorRole = 0;
    public const byte ResponderRole = 1;

    private static readonly byte[] ProofLabel = "tallow direct v1"u8.ToArray();
    private static readonly byte[] ResyncLabel = "tallow resync v1"u8.ToArray();
    private readonly byte[] _key;

    public DirectPathKey(ReadOnlySpan<byte> key, bool isInitiator)
    {
        _key = key.ToArray();
        IsInitiator = isInitiator;
    }

    public bool IsInitiator { get; }

    public byte Role => IsInitiator ? InitiatorRole : ResponderRole;

    public byte PeerRole => IsInitiator ? ResponderRole : InitiatorRole;

    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(Wire.DirectHelloMessage.NonceSize);

    public byte[] Prove(byte role, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR)
    {
        byte[] message = [.. ProofLabel, role, .. nonceI, .. nonceR];
        return HMACSHA256.HashData(_key, message);
    }

    public bool Verify(byte role, ReadOnlySpan<byte> nonceI, ReadOnlySpan<byte> nonceR, ReadOnlySpan<byte> mac) =>
        mac.Length == Wire.PathMessages.MacSize && CryptographicOperations.FixedTimeEquals(Prove(role, nonceI, nonceR), mac);

    /// <summary>PathResync payload: u64 frames received | MAC.</summary>
    public byte[] Resync(ulong framesReceived)
    {
        byte[] payload = new byte[Wire.PathMessages.ResyncSize];
        BinaryPrimitives.WriteUInt64BigEndian(payload, framesReceived);
        ResyncMac(Role, framesReceived).CopyTo(payload, 8);
        return payload;
    }

    public bool VerifyResync(ulong framesReceived, ReadOnlySpan<byte> mac) =>
        CryptographicOperations.FixedTimeEquals(ResyncMac(PeerRole, framesReceived), mac);

    private byte[] ResyncMac(byte role, ulong framesReceived)
    {
        byte[] message = new byte[ResyncLabel.Length + 1 + 8];
        ResyncLabel.CopyTo(message, 0);
        message[ResyncLabel.Length] = role;
        BinaryPrimitives.WriteUInt64BigEndian(message.AsSpan(ResyncLabel.Length + 1), framesReceived);
        return HMACSHA256.HashData(_key, message);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    public override string ToString() => nameof(DirectPathKey);
}
