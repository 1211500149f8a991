// What an interrupted receive leaves behind and how the next one trusts it: the sidecar's
// checkpoint, the re-hash of the prefix (through the handle that is then continued), the size
// and time candidates for a content check, and the refusal to continue through links.
using System.Diagnostics;
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Resume;
using Tallow.Wire;

namespace Tallow.Tests.Protocol.Resume;

public class ResumeStateTests
{
    private static readonly OfferEntry Entry = new(EntryType.File, "d/big.bin", 10_000, 0x1A4, 1_700_000_000);

    private static byte[] Content(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Receives the first <paramref name="length"/> bytes and checkpoints them, then "dies" (disposes without commit).</summary>
    private static void Interrupt(OutputDirectory output, OfferEntry entry, byte[] content, int length)
    {
        PartFile part = output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(entry));
        using var hasher = Blake3Hasher.New();
        RandomAccess.Write(part.Handle, content.AsSpan(0, length), 0);
        hasher.Update(content.AsSpan(0, length));
        part.Checkpoint(length, hasher);
        RandomAccess.Write(part.Handle, content.AsSpan(length, 100), length); // written after the checkpoint: not trusted
        part.Dispose();
    }

    [Fact]
    public void A_checkpointed_part_resumes_at_its_verified_length_with_the_running_hash()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        byte[] content = Content(10_000, 1);
        Interrupt(output, Entry, content, 6_000);
        Assert.Equal(ResumeSidecar.Size, new FileInfo(dir.Combine("d", "big.bin" + ResumeSidecar.Suffix)).Length);

        var notices = new List<string>();
        HeldContent held = output.Inspect(["d", "big.bin"], Entry, notices.Add);
        Assert.Equal(6_000, held.ResumeLength);
        Assert.False(held.SameSizeAndTime);
        Assert.Empty(notices);

        // Continue the way TransferReceiver does: the handle that was hashed, cut back, appended to, the same hash finished.
        using ResumablePart resumable = held.Part!;
        PartFile part = output.ResumePart(resumable, ResumeSidecar.IdentityOf(Entry));
        Assert.Equal(6_000, RandomAccess.GetLength(part.Handle));
        RandomAccess.Write(part.Handle, content.AsSpan(6_000), 6_000);
        resumable.Prefix.Update(content.AsSpan(6_000));
        byte[] hash = new byte[32];
        resumable.Prefix.Digest(hash);
        Assert.Equal(Blake3Hasher.Hash(content), hash);

        string saved = output.Commit(part, Entry.ModifiedUnixSeconds, Entry.Mode, notices.Add);
        Assert.Equal(content, File.ReadAllBytes(saved));
        Assert.False(File.Exists(dir.Combine("d", "big.bin" + ResumeSidecar.Suffix)));
        Assert.False(File.Exists(dir.Combine("d", "big.bin" + OutputDirectory.PartSuffix)));
    }

    [Fact]
    public void A_different_offer_of_the_same_name_does_not_resume()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        Interrupt(output, Entry, Content(10_000, 2), 6_000);
        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry with { ModifiedUnixSeconds = Entry.ModifiedUnixSeconds + 1 }, _ => { }).ResumeLength);
        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry with { Size = 10_001 }, _ => { }).ResumeLength);
        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry with { Path = "d/other.bin" }, _ => { }).ResumeLength);
        Assert.Equal(6_000, output.Inspect(["d", "big.bin"], Entry, _ => { }).ResumeLength);
    }

    [Fact]
    public void A_part_changed_on_disk_is_received_from_the_start_with_a_notice()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        Interrupt(output, Entry, Content(10_000, 3), 6_000);
        using (var stream = new FileStream(dir.Combine("d", "big.bin" + OutputDirectory.PartSuffix), FileMode.Open))
        {
            stream.Position = 1234;
            stream.WriteByte(0x55);
        }

        var notices = new List<string>();
        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry, notices.Add).ResumeLength);
        Assert.Contains(notices, n => n.Contains("changed on disk", StringComparison.Ordinal));
    }

    [Fact]
    public void A_torn_or_truncated_sidecar_or_part_is_not_trusted()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        Interrupt(output, Entry, Content(10_000, 4), 6_000);
        string sidecar = dir.Combine("d", "big.bin" + ResumeSidecar.Suffix);
        byte[] good = File.ReadAllBytes(sidecar);
        for (int i = 0; i < good.Length; i += 7)
        {
            byte[] torn = (byte[])good.Clone();
            torn[i] ^= 0x01;
            File.WriteAllBytes(sidecar, torn);
            Assert.False(ResumeSidecar.TryRead(sidecar, out _));
            Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry, _ => { }).ResumeLength);
        }

        File.WriteAllBytes(sidecar, good[..^1]);
        Assert.False(ResumeSidecar.TryRead(sidecar, out _));

        File.WriteAllBytes(sidecar, good);
        File.SetUnixFileMode(sidecar, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using (var part = new FileStream(dir.Combine("d", "big.bin" + OutputDirectory.PartSuffix), FileMode.Open))
        {
            part.SetLength(5_999); // shorter than the checkpoint claims
        }

        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry, _ => { }).ResumeLength);
    }

    [Fact]
    public void A_part_that_is_a_link_or_has_a_second_name_is_never_resumed_or_written()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(Path.Combine(dir.Path, "out"), overwrite: false);
        Interrupt(output, Entry, Content(10_000, 5), 6_000);
        string part = dir.Combine("out", "d", "big.bin" + OutputDirectory.PartSuffix);

        // A hard link to somebody else's file in place of the part: appending would modify that file.
        string victim = dir.Combine("victim.bin");
        File.Copy(part, victim);
        byte[] precious = File.ReadAllBytes(victim);
        File.Delete(part);
        using (Process ln = Process.Start("ln", [victim, part])!)
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }

        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry, _ => { }).ResumeLength);
        output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(Entry)).Dispose(); // this entry's own stale slot: the second name goes, not the file
        Assert.Equal(precious, File.ReadAllBytes(victim));

        // A symlink in place of a checkpointed part.
        Interrupt(output, Entry, Content(10_000, 5), 6_000);
        File.Delete(part);
        File.CreateSymbolicLink(part, victim);
        Assert.Equal(0, output.Inspect(["d", "big.bin"], Entry, _ => { }).ResumeLength);

        // A fresh part replaces the link itself, never its target.
        output.CreatePart(["d", "big.bin"], ResumeSidecar.IdentityOf(Entry)).Dispose();
        Assert.Equal(precious, File.ReadAllBytes(victim));
        Assert.Null(new FileInfo(part).LinkTarget);
    }

    [Fact]
    public void A_file_here_with_the_offered_size_and_time_is_only_a_candidate_whose_content_is_hashed()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        Directory.CreateDirectory(dir.Combine("d"));
        string final = dir.Combine("d", "big.bin");
        byte[] content = Content(10_000, 6);
        File.WriteAllBytes(final, content);
        File.SetLastWriteTimeUtc(final, DateTimeOffset.FromUnixTimeSeconds(Entry.ModifiedUnixSeconds).UtcDateTime);
        Assert.True(output.Inspect(["d", "big.bin"], Entry, _ => { }).SameSizeAndTime);
        Assert.False(output.Inspect(["d", "big.bin"], Entry with { ModifiedUnixSeconds = 1 }, _ => { }).SameSizeAndTime);
        Assert.False(output.Inspect(["d", "big.bin"], Entry with { Size = 9_999 }, _ => { }).SameSizeAndTime);
        Assert.False(output.Inspect(["x", "big.bin"], Entry, _ => { }).SameSizeAndTime);

        using (Blake3Hasher hasher = output.HashExisting(["d", "big.bin"], 10_000, _ => { }, CancellationToken.None)!)
        {
            byte[] hash = new byte[32];
            hasher.Digest(hash);
            Assert.Equal(Blake3Hasher.Hash(content), hash);
        }

        Assert.Null(output.HashExisting(["d", "big.bin"], 9_999, _ => { }, CancellationToken.None)); // no longer the size it had

        // A link under the final name is never read through.
        string elsewhere = dir.Combine("elsewhere.bin");
        File.Move(final, elsewhere);
        File.CreateSymbolicLink(final, elsewhere);
        Assert.Null(output.HashExisting(["d", "big.bin"], 10_000, _ => { }, CancellationToken.None));
    }

    [Fact]
    public void Received_files_keep_the_executable_bit_but_never_set_id_bits()
    {
        using var dir = new TempDir();
        var output = new OutputDirectory(dir.Path, overwrite: false);
        PartFile part = output.CreatePart(["run.sh"]);
        RandomAccess.Write(part.Handle, "#!/bin/sh\n"u8, 0);
        string saved = output.Commit(part, 1_600_000_000, 0xFED /* 07755: setuid, setgid, sticky, rwxr-xr-x */, _ => { });
        UnixFileMode mode = File.GetUnixFileMode(saved);
        Assert.True(mode.HasFlag(UnixFileMode.UserExecute));
        Assert.False(mode.HasFlag(UnixFileMode.SetUser) || mode.HasFlag(UnixFileMode.SetGroup) || mode.HasFlag(UnixFileMode.StickyBit));
        Assert.Equal(1_600_000_000, SourceScanner.ToUnix(File.GetLastWriteTimeUtc(saved)));
    }
}
