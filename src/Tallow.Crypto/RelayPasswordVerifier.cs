// Relay side of the relay-password PAKE for one connection (RelayPasswordPake, docs/protocol.md
// "Relay"): a fresh CPace initiator whose share goes into the Welcome, then one constant-time check
// of the client's Auth{share, confirm}. Dispose zeroes the scalar; K and ISK never outlive Verify.
using System.Security.Cryptography;

namespace Tallow.Crypto;

/// <summary>Relay side of one connection: its share for the Welcome, then one check of the client's Auth.</summary>
public sealed class RelayPasswordVerifier : IDisposable
{
    private readonly CPaceSession _cpace;

    private RelayPasswordVerifier(CPaceSession cpace) => _cpace = cpace;

    /// <summary>Starts the exchange for one connection whose Welcome carries <paramref name="nonce"/>.</summary>
    public static RelayPasswordVerifier Start(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce) =>
        new(CPaceSession.Create(password, RelayPasswordPake.ChannelId, nonce));

    /// <summary>Ya, sent in the Welcome.</summary>
    public ReadOnlySpan<byte> Share => _cpace.Share;

    /// <summary>True when the client proved the same password. Constant time in the confirmation.</summary>
    public bool Verify(ReadOnlySpan<byte> clientShare, ReadOnlySpan<byte> confirm)
    {
        if (confirm.Length != RelayPasswordPake.ConfirmSize)
        {
            return false;
        }

        Span<byte> isk = stackalloc byte[CPaceSession.IskSize];
        Span<byte> expected = stackalloc byte[RelayPasswordPake.ConfirmSize];
        try
        {
            if (!_cpace.TryDeriveIsk(clientShare, isInitiator: true, default, default, isk))
            {
                return false;
            }

            RelayPasswordPake.Confirm(isk, expected);
            return CryptographicOperations.FixedTimeEquals(expected, confirm);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(isk);
            CryptographicOperations.ZeroMemory(expected);
        }
    }

    /// <summary>Zeroes the relay's scalar.</summary>
    public void Dispose() => _cpace.Dispose();

    public override string ToString() => nameof(RelayPasswordVerifier);
}
