// The small file kept next to "<name>.tallow-part" so an interrupted receive can continue
// (DESIGN.md §8). Fixed 112-byte layout, written with length 0 when the part file is created (so
// it says at once which offer the part belongs to) and rewritten in place at each checkpoint:
//   magic "TALLOWR1" | identity (32) | verified length (u64 LE) | BLAKE3 of that prefix (32)
//   | BLAKE3 of the 80 bytes before it (32, detects a torn or edited sidecar).
// identity = BLAKE3("tallow-resume-v1" | size | mtime | offered path): the next offer resumes a
// part only if it offers the same path with the same size and modification time. Whatever the
// sidecar claims, the prefix is re-hashed before it is trusted, and the whole file is verified
// against the sender's hash at the end.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Tallow.Wire;

namespace Tallow.Protocol.Transfer.Resume;

public readonly record struct ResumeCheckpoint(byte[] Identity, long Length, byte[] PrefixHash);

public static class ResumeSidecar
{
    public const string Suffix = ".tallow-resume";
    public const int Size = 8 + HashSize + 8 + HashSize + HashSize;
    public const int HashSize = 32;
    private const int ChecksummedSize = Size - HashSize;
    private static ReadOnlySpan<byte> Magic => "TALLOWR1"u8;

    public static byte[] IdentityOf(OfferEntry entry)
    {
        using var hasher = Blake3Hasher.New();
        hasher.Update("tallow-resume-v1"u8);
        Span<byte> numbers = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(numbers, entry.Size);
        BinaryPrimitives.WriteInt64LittleEndian(numbers[8..], entry.ModifiedUnixSeconds);
        hasher.Update(numbers);
        hasher.Update(Encoding.UTF8.GetBytes(entry.Path));
        byte[] identity = new byte[HashSize];
        hasher.Digest(identity);
        return identity;
    }

    public static void Write(SafeFileHandle handle, ReadOnlySpan<byte> identity, long length, ReadOnlySpan<byte> prefixHash)
    {
        Span<byte> record = stackalloc byte[Size];
        Magic.CopyTo(record);
        identity.CopyTo(record[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(record[(8 + HashSize)..], length);
        prefixHash.CopyTo(record.Slice(16 + HashSize, HashSize));
        Blake3Hasher.Hash(record[..ChecksummedSize], record[ChecksummedSize..]);
        RandomAccess.Write(handle, record, 0);
    }

    /// <summary>Reads a sidecar; false when it is missing, torn, of another format or inconsistent.</summary>
    public static bool TryRead(string path, out ResumeCheckpoint checkpoint)
    {
        checkpoint = default;
        Span<byte> record = stackalloc byte[Size];
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            if (RandomAccess.GetLength(handle) != Size || RandomAccess.Read(handle, record, 0) != Size)
            {
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        Span<byte> checksum = stackalloc byte[HashSize];
        Blake3Hasher.Hash(record[..ChecksummedSize], checksum);
        long length = BinaryPrimitives.ReadInt64LittleEndian(record[(8 + HashSize)..]);
        if (!record[..8].SequenceEqual(Magic) || !CryptographicOperations.FixedTimeEquals(checksum, record[ChecksummedSize..]) || length < 0)
        {
            return false;
        }

        checkpoint = new ResumeCheckpoint(record.Slice(8, HashSize).ToArray(), length, record.Slice(16 + HashSize, HashSize).ToArray());
        return true;
    }
}
