// Target "sidecar": ResumeSidecar.TryRead on a "<name>.tallow-resume" file whose bytes are the
// fuzz input (DESIGN.md §8: a sidecar in the output folder may be torn, edited or planted).
// When the first byte is odd and the rest is exactly a sidecar's size, the harness first writes
// the correct BLAKE3 checksum into it, so the fuzzer also reaches the checks behind it. It must
// return false, never throw, on anything inconsistent.
using System.Buffers.Binary;
using Tallow.Protocol.Transfer.Resume;

namespace Tallow.Fuzz.Targets.Protocol;

public static class SidecarTarget
{
    private const int ChecksummedSize = ResumeSidecar.Size - ResumeSidecar.HashSize;

    public static readonly FuzzTarget Sidecar = new("sidecar", "ResumeSidecar.TryRead", Fuzz, Seeds);

    private static readonly string FilePath = Path.Combine(Path.GetTempPath(), $"tallow-fuzz-{Environment.ProcessId}{ResumeSidecar.Suffix}");

    public static void Fuzz(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        byte[] bytes = data[1..].ToArray();
        if ((data[0] & 1) == 1 && bytes.Length == ResumeSidecar.Size)
        {
            Blake3.Hasher.Hash(bytes.AsSpan(0, ChecksummedSize), bytes.AsSpan(ChecksummedSize));
        }

        File.WriteAllBytes(FilePath, bytes);
        try
        {
            if (ResumeSidecar.TryRead(FilePath, out ResumeCheckpoint checkpoint))
            {
                FuzzInvariantException.Check(bytes.Length == ResumeSidecar.Size && checkpoint.Length >= 0, "sidecar: accepted a wrong size or a negative length");
                FuzzInvariantException.Check(checkpoint.Identity.Length == ResumeSidecar.HashSize && checkpoint.PrefixHash.Length == ResumeSidecar.HashSize, "sidecar: hash sizes");
                FuzzInvariantException.Check(checkpoint.Length == BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + ResumeSidecar.HashSize)), "sidecar: wrong length");
            }
        }
        finally
        {
            File.Delete(FilePath);
        }
    }

    public static IEnumerable<byte[]> Seeds()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tallow-fuzz-seed-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "file" + ResumeSidecar.Suffix);
        try
        {
            byte[] identity = ResumeSidecar.IdentityOf(new Tallow.Wire.OfferEntry(Tallow.Wire.EntryType.File, "photos/a.jpg", 5000, 0x1A4, 1_700_000_000));
            using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
            {
                ResumeSidecar.Write(handle, identity, 4096, new byte[ResumeSidecar.HashSize]);
            }

            byte[] real = File.ReadAllBytes(path);
            yield return [0, .. real];
            yield return [1, .. real];
            yield return [0, .. real[..40]];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
