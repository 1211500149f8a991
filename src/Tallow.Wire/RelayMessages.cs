// Relay control messages (DESIGN.md §5). Plaintext, exchanged before pairing; every
// payload is at most Frame.MaxUnpairedLength. Parsers return false on any malformed input.
using System.Net;

namespace Tallow.Wire;

public enum RelayErrorCode : byte
{
    BadRequest = 1,
    VersionMismatch = 2,
    AuthRequired = 3,
    AuthFailed = 4,
    NoSuchRoom = 5,
    RoomFull = 6,
    NameplateInUse = 7,
    TooManyRooms = 8,
    TooManyConnections = 9,
    RateLimited = 10,
    Timeout = 11,
    FrameTooLarge = 12,
    ShuttingDown = 13,

    /// <summary>Sent in plaintext by a TLS-only relay to a client that did not start TLS (DESIGN.md §5.8).</summary>
    TlsRequired = 14,
}

public static class RelayProtocol
{
    public const uint Magic = 0x544C5731; // "TLW1"
    /// <summary>2: Auth is a CPace exchange on the relay password (v1 sent an HMAC that could be tested offline).</summary>
    public const ushort Version = 2;
    public const int NonceSize = 32;

    /// <summary>A CPace share (ristretto255 element): the relay's in Welcome, the client's in Auth.</summary>
    public const int AuthShareSize = 32;

    /// <summary>The client's key confirmation in Auth (HMAC-SHA256).</summary>
    public const int AuthConfirmSize = 32;
    public const int MaxRoomCapacity = 20;
    public const int MaxErrorMessageBytes = 512;
}

public readonly record struct HelloMessage(ushort Version)
{
    public const int Size = 6;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt32(RelayProtocol.Magic);
        w.WriteUInt16(Version);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out HelloMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        if (!r.TryReadUInt32(out uint magic) || magic != RelayProtocol.Magic || !r.TryReadUInt16(out ushort version) || !r.IsAtEnd)
        {
            return false;
        }

        message = new HelloMessage(version);
        return true;
    }
}

/// <summary>
/// Welcome{version, observed endpoint, nonce, auth_required, probe port[, relay share]}. The probe
/// port (DESIGN.md §5.7) is the relay's port that only answers Hello; 0 means the relay has none.
/// With auth_required the relay's CPace share for the password exchange follows (protocol.md "Relay").
/// </summary>
public readonly record struct WelcomeMessage(ushort Version, IPEndPoint ObservedAddress, byte[] Nonce, bool AuthRequired, ushort ProbePort, byte[]? AuthShare = null)
{
    /// <summary>Largest encoding: version, an IPv6 endpoint, the nonce, the auth flag, the probe port and the share.</summary>
    public const int MaxSize = 2 + EndpointCodec.MaxSize + RelayProtocol.NonceSize + 1 + 2 + RelayProtocol.AuthShareSize;

    public int Write(Span<byte> destination)
    {
        if (AuthRequired != (AuthShare is not null) || AuthShare is { Length: not RelayProtocol.AuthShareSize })
        {
            throw new InvalidOperationException($"a Welcome carries a {RelayProtocol.AuthShareSize}-byte share exactly when it requires auth");
        }

        var w = new SpanWriter(destination);
        w.WriteUInt16(Version);
        EndpointCodec.Write(ref w, ObservedAddress);
        w.WriteBytes(Nonce);
        w.WriteByte(AuthRequired ? (byte)1 : (byte)0);
        w.WriteUInt16(ProbePort);
        if (AuthShare is not null)
        {
            w.WriteBytes(AuthShare);
        }

        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out WelcomeMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        ReadOnlySpan<byte> share = default;
        if (!r.TryReadUInt16(out ushort version)
            || !EndpointCodec.TryRead(ref r, out IPEndPoint? observed)
            || !r.TryReadBytes(RelayProtocol.NonceSize, out ReadOnlySpan<byte> nonce)
            || !r.TryReadByte(out byte auth) || auth > 1
            || !r.TryReadUInt16(out ushort probePort)
            || (auth == 1 && !r.TryReadBytes(RelayProtocol.AuthShareSize, out share))
            || !r.IsAtEnd)
        {
            return false;
        }

        message = new WelcomeMessage(version, observed!, nonce.ToArray(), auth == 1, probePort, auth == 1 ? share.ToArray() : null);
        return true;
    }
}

/// <summary>Auth{client share, confirm}: the client's half of the CPace exchange on the relay password.</summary>
public readonly record struct AuthMessage(byte[] Share, byte[] Confirm)
{
    public const int Size = RelayProtocol.AuthShareSize + RelayProtocol.AuthConfirmSize;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteBytes(Share);
        w.WriteBytes(Confirm);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out AuthMessage message)
    {
        message = default;
        if (payload.Length != Size)
        {
            return false;
        }

        message = new AuthMessage(payload[..RelayProtocol.AuthShareSize].ToArray(), payload[RelayProtocol.AuthShareSize..].ToArray());
        return true;
    }
}

/// <summary>Allocate{capacity, requested nameplate (0 = relay picks the smallest free one)}.</summary>
public readonly record struct AllocateMessage(byte Capacity, uint RequestedNameplate)
{
    public const int Size = 5;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte(Capacity);
        w.WriteUInt32(RequestedNameplate);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out AllocateMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        if (!r.TryReadByte(out byte capacity) || capacity < 2 || capacity > RelayProtocol.MaxRoomCapacity
            || !r.TryReadUInt32(out uint nameplate) || !r.IsAtEnd)
        {
            return false;
        }

        message = new AllocateMessage(capacity, nameplate);
        return true;
    }
}

/// <summary>Claim{nameplate} joins an existing room. Opened{nameplate} answers Allocate and Claim.</summary>
public readonly record struct NameplateMessage(uint Nameplate)
{
    public const int Size = 4;

    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteUInt32(Nameplate);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out NameplateMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        if (!r.TryReadUInt32(out uint nameplate) || nameplate == 0 || !r.IsAtEnd)
        {
            return false;
        }

        message = new NameplateMessage(nameplate);
        return true;
    }
}

/// <summary>Paired{peer count, your index}: the room is complete; index 0 created the room.</summary>
public readonly record struct PairedMessage(byte PeerCount, byte Index)
{
    public const int Size = 2;

    public int Write(Span<byte> destination)
    {
        destination[0] = PeerCount;
        destination[1] = Index;
        return Size;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out PairedMessage message)
    {
        message = default;
        if (payload.Length != Size || payload[0] < 2 || payload[0] > RelayProtocol.MaxRoomCapacity || payload[1] >= payload[0])
        {
            return false;
        }

        message = new PairedMessage(payload[0], payload[1]);
        return true;
    }
}

public readonly record struct ErrorMessage(RelayErrorCode Code, string Message)
{
    public int Write(Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.WriteByte((byte)Code);
        w.WriteString(Message.Length > RelayProtocol.MaxErrorMessageBytes / 4 ? Message[..(RelayProtocol.MaxErrorMessageBytes / 4)] : Message);
        return w.Written;
    }

    public static bool TryParse(ReadOnlySpan<byte> payload, out ErrorMessage message)
    {
        message = default;
        var r = new SpanReader(payload);
        if (!r.TryReadByte(out byte code) || !r.TryReadString(RelayProtocol.MaxErrorMessageBytes, out string text) || !r.IsAtEnd)
        {
            return false;
        }

        message = new ErrorMessage((RelayErrorCode)code, text);
        return true;
    }
}
