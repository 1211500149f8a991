// One table of every parser of peer or relay bytes, so the hostile-input properties
// (random bytes, truncations, bit flips) run against all of them the same way.
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Tallow.Wire;

namespace Tallow.Tests.Wire;

/// <summary>
/// A parser under test. <see cref="Parse"/> returns the re-encoding of what was parsed
/// (so accepted hostile values must also be writable), or null when the parser refused.
/// </summary>
internal sealed record MessageCodec(string Name, Gen<byte[]> Valid, Func<byte[], byte[]?> Parse)
{
    public override string ToString() => Name;
}

internal static class MessageCodecs
{
    private static byte[] Encode(int capacity, WriteFunc write)
    {
        var buffer = new byte[capacity];
        int written = write(buffer);
        return buffer[..written];
    }

    private delegate int WriteFunc(Span<byte> destination);

    public static byte[] EncodeHello(HelloMessage m) => Encode(HelloMessage.Size, m.Write);

    public static byte[] EncodeWelcome(WelcomeMessage m) => Encode(2 + EndpointCodec.MaxSize + m.Nonce.Length + 1 + 2 + (m.AuthShare?.Length ?? 0), m.Write);

    public static byte[] EncodeAuth(AuthMessage m) => Encode(AuthMessage.Size, m.Write);

    public static byte[] EncodeAllocate(AllocateMessage m) => Encode(AllocateMessage.Size, m.Write);

    public static byte[] EncodeNameplate(NameplateMessage m) => Encode(NameplateMessage.Size, m.Write);

    public static byte[] EncodePaired(PairedMessage m) => Encode(PairedMessage.Size, m.Write);

    public static byte[] EncodeError(ErrorMessage m) => Encode(1 + 2 + (WireGen.Utf8Length(m.Message) * 2) + 8, m.Write);

    public static byte[] EncodeReason(ReasonMessage m) => Encode(m.GetSize(), m.Write);

    public static byte[] EncodeFileDone(FileDoneMessage m) => Encode(FileDoneMessage.EncodedSize, m.Write);

    public static byte[] EncodeOffer(TransferOffer m) => Encode(m.GetSize(), m.Write);

    public static byte[] EncodeAccept(AcceptMessage m) => Encode(m.GetSize(), m.Write);

    public static byte[] EncodeResend(ResendMessage m) => Encode(m.GetSize(), m.Write);

    public static byte[] EncodeEndpoint(IPEndPoint ep)
    {
        var buffer = new byte[EndpointCodec.MaxSize];
        var w = new SpanWriter(buffer);
        EndpointCodec.Write(ref w, ep);
        return buffer[..w.Written];
    }

    public static bool TryReadEndpoint(byte[] bytes, out IPEndPoint? endpoint)
    {
        var r = new SpanReader(bytes);
        return EndpointCodec.TryRead(ref r, out endpoint) && r.IsAtEnd;
    }

    public static byte[] EncodeInit(byte[] share, byte[] kemKey, byte[] x25519, byte[] nonce, byte[] sasCommit)
    {
        var buffer = new byte[HandshakeLayout.InitSize];
        HandshakeInit.Write(buffer, share, kemKey, x25519, nonce, sasCommit);
        return buffer;
    }

    public static readonly Gen<byte[]> ValidInit =
        from share in WireGen.Bytes(HandshakeLayout.ShareSize)
        from kem in WireGen.Bytes(HandshakeLayout.KemKeySize)
        from x in WireGen.Bytes(HandshakeLayout.X25519Size)
        from nonce in WireGen.Bytes(HandshakeLayout.NonceSize)
        from commit in WireGen.Bytes(HandshakeLayout.SasCommitSize)
        select EncodeInit(share, kem, x, nonce, commit);

    public static readonly Gen<byte[]> ValidResponse = WireGen.Bytes(HandshakeLayout.ResponseSize);

    /// <summary>A valid frame wrapping a short payload.</summary>
    public static readonly Gen<byte[]> ValidFrame =
        from type in WireGen.Byte
        from payload in WireGen.BytesBetween(0, 300)
        select Frame.Encode((FrameType)type, payload);

    /// <summary>A FileBatch payload: 1..6 files of 0..40 bytes with their (random) hashes.</summary>
    public static readonly Gen<byte[]> ValidFileBatch =
        from count in Gen.Choose(1, 6)
        from items in Gen.ArrayOf(
            from index in WireGen.UInt32
            from content in WireGen.BytesBetween(0, 40)
            from hash in WireGen.Bytes(FileBatchMessage.HashSize)
            select (index, content, hash), count)
        select EncodeFileBatch(
            items.Select(i => new BatchedFile(i.index, (uint)i.content.Length, i.hash)).ToArray(),
            items.SelectMany(i => i.content).ToArray());

    public static byte[] EncodeFileBatch(BatchedFile[] files, byte[] contents)
    {
        var payload = new byte[FileBatchMessage.HeaderSize(files.Length) + contents.Length];
        FileBatchMessage.WriteHeader(payload, files);
        contents.CopyTo(payload, FileBatchMessage.HeaderSize(files.Length));
        return payload;
    }

    public static readonly MessageCodec[] All =
    [
        new("Hello", WireGen.Hello.Select(EncodeHello),
            b => HelloMessage.TryParse(b, out var m) ? EncodeHello(m) : null),
        new("Welcome", WireGen.Welcome.Select(EncodeWelcome),
            b => WelcomeMessage.TryParse(b, out var m) ? EncodeWelcome(m) : null),
        new("Auth", WireGen.Auth.Select(EncodeAuth),
            b => AuthMessage.TryParse(b, out var m) ? EncodeAuth(m) : null),
        new("Allocate", WireGen.Allocate.Select(EncodeAllocate),
            b => AllocateMessage.TryParse(b, out var m) ? EncodeAllocate(m) : null),
        new("Nameplate", WireGen.Nameplate.Select(EncodeNameplate),
            b => NameplateMessage.TryParse(b, out var m) ? EncodeNameplate(m) : null),
        new("Paired", WireGen.Paired.Select(EncodePaired),
            b => PairedMessage.TryParse(b, out var m) ? EncodePaired(m) : null),
        new("Error", WireGen.Error.Select(EncodeError),
            b => ErrorMessage.TryParse(b, out var m) ? EncodeError(m) : null),
        new("HandshakeInit", ValidInit,
            b => HandshakeInit.TryParse(b, out var m) ? EncodeInit(m.Share.ToArray(), m.KemKey.ToArray(), m.X25519.ToArray(), m.Nonce.ToArray(), m.SasCommit.ToArray()) : null),
        new("HandshakeResponse", ValidResponse,
            b => HandshakeResponse.TryParse(b, out var m)
                ? [.. m.Share, .. m.KemCiphertext, .. m.X25519, .. m.Nonce, .. m.Confirm]
                : null),
        new("TransferOffer", WireGen.Offer.Select(EncodeOffer),
            b => TransferOffer.TryParse(b, out var m) ? EncodeOffer(m!) : null),
        new("Accept", WireGen.Accept.Select(EncodeAccept),
            b => AcceptMessage.TryParse(b, out var m) ? EncodeAccept(m!) : null),
        new("Resend", WireGen.Resend.Select(EncodeResend),
            b => ResendMessage.TryParse(b, out var m) ? EncodeResend(m!) : null),
        new("FileDone", WireGen.FileDone.Select(EncodeFileDone),
            b => FileDoneMessage.TryParse(b, out var m) ? EncodeFileDone(m) : null),
        new("FileBatch", ValidFileBatch,
            b => FileBatchMessage.TryParse(b, out BatchedFile[] files, out int start) ? EncodeFileBatch(files, b[start..]) : null),
        new("Reason", WireGen.Reason.Select(EncodeReason),
            b => ReasonMessage.TryParse(b, out var m) ? EncodeReason(m) : null),
        new("Endpoint", WireGen.Endpoint.Select(EncodeEndpoint),
            b => TryReadEndpoint(b, out var ep) ? EncodeEndpoint(ep!) : null),
        new("Frame", ValidFrame,
            b => Frame.TryParse(b, Frame.MaxLength, out FrameType type, out ReadOnlySpan<byte> payload, out int consumed) == FrameStatus.Ok && consumed == b.Length
                ? Frame.Encode(type, payload)
                : null),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (MessageCodec codec in All)
        {
            data.Add(codec.Name);
        }

        return data;
    }

    public static MessageCodec Get(string name) => All.Single(c => c.Name == name);
}
