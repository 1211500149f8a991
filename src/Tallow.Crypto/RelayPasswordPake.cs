// Relay password authentication, relay protocol v2 (docs/protocol.md "Relay"): CPace
// (CPaceSession, ristretto255/SHA-512) on the relay password, so that nothing crossing the wire
// can be tested offline against a candidate password, TLS or not.
//   g       = G(PRS = UTF-8 password, CI = "tallow relay v2", sid = the relay's 32-byte Welcome nonce)
//   relay   Welcome{…, Ya = ya·g}                    (CPace initiator, fresh ya per connection)
//   client  Auth{Yb = yb·g, confirm}                 (CPace responder, fresh yb per connection)
//   ISK     = CPace ISK(sid, K, Ya, Yb), empty ADs;  confirm = HMAC-SHA256(ISK, "tallow relay v2 client confirm")
// The relay checks confirm in constant time and answers nothing on success (as before).
// What each party learns: a passive observer sees two ephemeral shares and a MAC keyed by a value
// it cannot compute (CDH), so it has nothing to check a password against; a fake relay picked ya
// for at most one guessed password and can test that guess alone: one online guess per connection.
// Invariants: the password bytes, K, ISK and both scalars are zeroed after use.
using System.Security.Cryptography;

namespace Tallow.Crypto;

public static class RelayPasswordPake
{
    public const int ShareSize = CPaceSession.ShareSize;
    public const int ConfirmSize = 32;

    /// <summary>CPace channel identifier: binds the relay protocol and its version.</summary>
    public static ReadOnlySpan<byte> ChannelId => "tallow relay v2"u8;

    private static ReadOnlySpan<byte> ConfirmLabel => "tallow relay v2 client confirm"u8;

    /// <summary>
    /// Client side: from the relay's nonce and share, writes this client's share and its key
    /// confirmation. False when the relay's share is not a valid ristretto255 element (a broken or
    /// hostile relay); nothing is written then.
    /// </summary>
    public static bool TryRespond(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> relayShare, Span<byte> share, Span<byte> confirm)
    {
        CheckSizes(share, confirm);
        using CPaceSession cpace = CPaceSession.Create(password, ChannelId, nonce);
        Span<byte> isk = stackalloc byte[CPaceSession.IskSize];
        try
        {
            if (!cpace.TryDeriveIsk(relayShare, isInitiator: false, default, default, isk))
            {
                return false;
            }

            cpace.Share.CopyTo(share);
            Confirm(isk, confirm);
            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(isk);
        }
    }

    private static void CheckSizes(ReadOnlySpan<byte> share, ReadOnlySpan<byte> confirm)
    {
        if (share.Length != ShareSize || confirm.Length != ConfirmSize)
        {
            throw new ArgumentException($"the share and the confirmation are {ShareSize} and {ConfirmSize} bytes");
        }
    }

    /// <summary>HMAC-SHA256(ISK, label): the client's key confirmation.</summary>
    internal static void Confirm(ReadOnlySpan<byte> isk, Span<byte> confirm) => HMACSHA256.HashData(isk, ConfirmLabel, confirm);
}
