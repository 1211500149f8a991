// PartWriter: write-behind (direct I/O where the file system takes it) puts every byte where it
// belongs, whatever the piece sizes and wherever a resume starts, and records a checkpoint only
// once the bytes it covers are in the file.
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class PartWriterTests
{
    private static readonly OfferEntry Entry = new(EntryType.File, "d/big.bin", 0, 0x1A4, 1_700_000_000);

    private static byte[] Content(int length)
    {
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The length a sidecar that this process holds open (and locked) records, read through a copy made by cp(1), which takes no lock.</summary>
    private static long CheckpointedLength(string sidecar, TempDir dir)
    {
        string copy = dir.Combine("sidecar-copy-" + Guid.NewGuid().ToString("N"));
        using (var cp = System.Diagnostics.Process.Start("cp", [sidecar, copy])!)
        {
            cp.WaitForExit();
            Assert.Equal(0, cp.ExitCode);
        }

        Assert.True(ResumeSidecar.TryRead(copy, out ResumeCheckpoint checkpoint));
        return checkpoint.Length;
    }

    private static async Task WriteInPiecesAsync(PartWriter writer, byte[] content, int from, int piece)
    {
        for (int at = from; at < content.Length; at += piece)
        {
            int n = Math.Min(piece, content.Length - at);
            await writer.WriteAsync(content.AsMemory(at, n), at, CancellationToken.None);
        }

        await writer.CompleteAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(1_000_003)]
    [InlineData(PartWriter.BlockSize)]
    [InlineData(65_536)]
    public async Task Large_content_arrives_intact_whatever_the_piece_size(int piece)
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        byte[] content = Content(3 * PartWriter.BlockSize + 12_345);
        PartFile part = output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(Entry), content.Length);
        using (var writer = new PartWriter(part, 0))
        {
            Assert.Equal(DirectIo.OffsetAlignment(part.Handle, 4096, PartWriter.BlockSize / 2) != 0, writer.Direct);
            await WriteInPiecesAsync(writer, content, 0, piece);
        }

        part.Dispose();
        Assert.Equal(content, File.ReadAllBytes(part.PartPath));
    }

    [Fact]
    public async Task A_resume_that_starts_mid_block_keeps_the_bytes_before_it()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        byte[] content = Content(2 * PartWriter.BlockSize + 777);
        const int start = 5_000_001; // not aligned to anything
        PartFile part = output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(Entry));
        RandomAccess.Write(part.Handle, content.AsSpan(0, start), 0);
        using (var writer = new PartWriter(part, start))
        {
            await WriteInPiecesAsync(writer, content, start, 1 << 20);
        }

        part.Dispose();
        Assert.Equal(content, File.ReadAllBytes(part.PartPath));
    }

    [Fact]
    public async Task A_checkpoint_is_recorded_only_once_its_bytes_are_written()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        byte[] content = Content(3 * PartWriter.BlockSize);
        PartFile part = output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(Entry), content.Length);
        string sidecar = dir.Combine("d", "big.bin" + ResumeSidecar.Suffix);
        using var hasher = Blake3Hasher.New();
        using (var writer = new PartWriter(part, 0))
        {
            await writer.WriteAsync(content.AsMemory(0, PartWriter.BlockSize), 0, CancellationToken.None); // handed to the worker
            hasher.Update(content.AsSpan(0, PartWriter.BlockSize));
            writer.Checkpoint(PartWriter.BlockSize, hasher);
            Assert.Equal(0, CheckpointedLength(sidecar, dir)); // not known to be written yet: only the record made with the sidecar

            await writer.WriteAsync(content.AsMemory(PartWriter.BlockSize, PartWriter.BlockSize), PartWriter.BlockSize, CancellationToken.None);
            Assert.Equal(PartWriter.BlockSize, CheckpointedLength(sidecar, dir)); // the first block's write was awaited
        } // disposed without completing, as when the transfer fails: the checkpoint stays, nothing is lost

        part.Dispose();
        Assert.True(ResumeSidecar.TryRead(sidecar, out ResumeCheckpoint kept));
        Assert.Equal(PartWriter.BlockSize, kept.Length);
        Assert.Equal(Blake3Hasher.Hash(content.AsSpan(0, PartWriter.BlockSize)), kept.PrefixHash);
        Assert.Equal(content.AsSpan(0, PartWriter.BlockSize).ToArray(), File.ReadAllBytes(part.PartPath).AsSpan(0, PartWriter.BlockSize).ToArray());
    }
}
