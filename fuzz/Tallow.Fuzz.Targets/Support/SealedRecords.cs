// Turns plaintext records into the sealed frames a peer with fixed test keys would send
// (DESIGN.md §7), so the record target fuzzes what runs after authentication: the fuzzer
// chooses the plaintext, the harness seals it. Input layout: (u8 kind | u16 BE length | body)*,
// a last record whose length runs past the end takes the rest.
using System.Buffers.Binary;
using Tallow.Crypto;
using Tallow.Wire;

namespace Tallow.Fuzz.Targets.Support;

public static class SealedRecords
{
    /// <summary>Fixed session keys for fuzzing only (no secret: derived from constant inputs).</summary>
    public static SessionKeys TestKeys() => SessionKeys.Derive(new byte[32], new byte[64], new byte[32], new byte[32]);

    /// <summary>The plaintext records of a fuzz input.</summary>
    public static List<(byte Kind, byte[] Body)> Split(ReadOnlySpan<byte> data)
    {
        var records = new List<(byte, byte[])>();
        while (!data.IsEmpty)
        {
            byte kind = data[0];
            int length = data.Length >= 3 ? BinaryPrimitives.ReadUInt16BigEndian(data[1..]) : 0;
            ReadOnlySpan<byte> rest = data[Math.Min(3, data.Length)..];
            length = Math.Min(length, rest.Length);
            records.Add((kind, rest[..length].ToArray()));
            data = rest[length..];
        }

        return records;
    }

    /// <summary>The fuzz-input form of plaintext records (for seeds).</summary>
    public static byte[] Join(params (RecordKind Kind, byte[] Body)[] records)
    {
        var output = new MemoryStream();
        foreach ((RecordKind kind, byte[] body) in records)
        {
            output.WriteByte((byte)kind);
            output.WriteByte((byte)(body.Length >> 8));
            output.WriteByte((byte)body.Length);
            output.Write(body);
        }

        return output.ToArray();
    }

    /// <summary>Seals each record as the initiator would (initiator→responder key, counters from 0).</summary>
    public static byte[] SealAsInitiator(SessionKeys keys, IEnumerable<(byte Kind, byte[] Body)> records)
    {
        using var sealer = new RecordSealer(keys.InitiatorToResponder);
        var output = new MemoryStream();
        foreach ((byte kind, byte[] body) in records)
        {
            byte[] frame = new byte[Frame.HeaderSize + 1 + body.Length + RecordSealer.TagSize];
            Frame.WriteHeader(frame, FrameType.Record, frame.Length - Frame.HeaderSize);
            frame[Frame.HeaderSize] = kind;
            body.CopyTo(frame, Frame.HeaderSize + 1);
            sealer.Seal(frame.AsSpan(0, Frame.HeaderSize), frame.AsSpan(Frame.HeaderSize, 1 + body.Length), frame.AsSpan(frame.Length - RecordSealer.TagSize));
            output.Write(frame);
        }

        return output.ToArray();
    }
}
