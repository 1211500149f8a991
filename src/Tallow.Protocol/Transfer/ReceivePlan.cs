// Which offered entries the receiver takes and from where (DESIGN.md §8), decided before it
// answers the offer: entries outside the selection (--only, --select) are left out; a file that
// is already here under its final name with the offered size and time is skipped; a file with a
// verified part file continues after the verified prefix; everything else starts at byte 0.
// The plan becomes the Accept record; the sender sends exactly the planned files.
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

public sealed record PlannedFile(int Index, long Offset, Blake3.Hasher? Prefix);

public sealed class ReceivePlan : IDisposable
{
    /// <summary>At most this many part files are resumed in one transfer (each keeps a running hash open).</summary>
    public const int MaxResumedFiles = 1024;

    private readonly HashSet<int> _folders;

    private ReceivePlan(IReadOnlyList<PlannedFile> files, HashSet<int> folders, long bytesToReceive)
    {
        Files = files;
        _folders = folders;
        BytesToReceive = bytesToReceive;
    }

    /// <summary>The files to receive, in offer order.</summary>
    public IReadOnlyList<PlannedFile> Files { get; }

    /// <summary>Content bytes this session moves (sizes minus resume offsets).</summary>
    public long BytesToReceive { get; }

    public bool IncludesFolder(int index) => _folders.Contains(index);

    /// <summary>Every entry, every file from the start.</summary>
    public static ReceivePlan Everything(TransferOffer offer) => Create(offer, null, null, _ => { }, null);

    /// <summary>
    /// Plans the receive of a Files offer. <paramref name="include"/> (entry index, entry) selects
    /// entries; with <paramref name="output"/> (null: no resume) already held content is
    /// reused and reported through <paramref name="observer"/>.
    /// </summary>
    public static ReceivePlan Create(TransferOffer offer, Func<int, OfferEntry, bool>? include, OutputDirectory? output, Action<string> notice, ITransferObserver? observer)
    {
        var files = new List<PlannedFile>();
        var folders = new HashSet<int>();
        long bytes = 0;
        int resumed = 0;
        for (int i = 0; i < offer.Entries.Count; i++)
        {
            OfferEntry entry = offer.Entries[i];
            if (include is not null && !include(i, entry))
            {
                continue;
            }

            if (entry.Type == EntryType.Directory)
            {
                folders.Add(i);
                continue;
            }

            long size = entry.Size == TransferOffer.UnknownSize ? 0 : (long)entry.Size;
            HeldContent held = HeldContent.Nothing;
            if (output is not null && resumed < MaxResumedFiles && PathSanitizer.TrySplit(entry.Path, out string[] components, out _))
            {
                held = output.Inspect(components, entry, notice);
            }

            if (held.CompletePath is not null)
            {
                observer?.OnResume(entry.Path, size, size);
                continue;
            }

            if (held.ResumeLength > 0)
            {
                resumed++;
                observer?.OnResume(entry.Path, held.ResumeLength, size);
            }

            files.Add(new PlannedFile(i, held.ResumeLength, held.Prefix));
            bytes += size - held.ResumeLength;
        }

        return new ReceivePlan(files, folders, bytes);
    }

    public AcceptMessage ToAccept() => new(Files.Select(f => new AcceptedFile((uint)f.Index, (ulong)f.Offset)).ToArray());

    public void Dispose()
    {
        foreach (PlannedFile file in Files)
        {
            file.Prefix?.Dispose();
        }
    }
}
