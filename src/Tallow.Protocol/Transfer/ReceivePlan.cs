// Which offered entries the receiver takes and from where (DESIGN.md §8), decided before it
// answers the offer: entries outside the selection (--only, --select) are left out; a file under
// its final name with the offered size and time is asked for at offset = size, so only its
// whole-file hash comes and the receive compares it with that file's content (an empty one is
// the same content by definition and is not asked for); a file with a verified part file
// continues after the verified prefix, through the handle that hashed it; everything else starts
// at byte 0. The plan becomes the Accept record; the sender sends exactly the planned files.
using Tallow.Wire;

namespace Tallow.Protocol.Transfer;

/// <param name="Resume">The verified part to continue (Offset = its length), or null.</param>
/// <param name="CheckExisting">Offset = size: compare the file already under the final name with the sender's hash.</param>
public readonly record struct PlannedFile(int Index, long Offset, ResumablePart? Resume, bool CheckExisting = false);

public sealed class ReceivePlan : IDisposable
{
    /// <summary>
    /// At most this many part files are resumed in one transfer: each keeps its file and a running
    /// hash open until it is received, and a common soft limit is 1024 open files per process
    /// (NativeAOT does not raise it). An interrupted receive leaves one part, so this is ample.
    /// </summary>
    public const int MaxResumedFiles = 256;

    private readonly HashSet<int> _folders;

    private ReceivePlan(IReadOnlyList<PlannedFile> files, HashSet<int> folders, long bytesToReceive)
    {
        Files = files;
        _folders = folders;
        BytesToReceive = bytesToReceive;
        ContentChecks = files.Count(f => f.CheckExisting);
    }

    /// <summary>The files asked for (those to receive and those to check), in offer order.</summary>
    public IReadOnlyList<PlannedFile> Files { get; }

    /// <summary>How many of <see cref="Files"/> are here with the offered size and time and only have their content checked.</summary>
    public int ContentChecks { get; }

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
        string[]? previous = null;
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
            if (output is not null && !output.IsUnderMissingFolder(entry.Path) && PathSanitizer.TrySplit(entry.Path, previous, out string[] components, out _))
            {
                held = output.Inspect(components, entry, notice, resume: resumed < MaxResumedFiles);
                previous = components;
            }

            if (held.SameSizeAndTime)
            {
                if (size == 0)
                {
                    observer?.OnResume(entry.Path, 0, 0);
                }
                else
                {
                    files.Add(new PlannedFile(i, size, null, CheckExisting: true)); // reported once the content matched
                }

                continue;
            }

            if (held.Part is { } part)
            {
                resumed++;
                observer?.OnResume(entry.Path, part.Length, size);
            }

            files.Add(new PlannedFile(i, held.ResumeLength, held.Part));
            bytes += size - held.ResumeLength;
        }

        return new ReceivePlan(files, folders, bytes);
    }

    public AcceptMessage ToAccept() => new(Files.Select(f => new AcceptedFile((uint)f.Index, (ulong)f.Offset)).ToArray());

    public void Dispose()
    {
        foreach (PlannedFile file in Files)
        {
            file.Resume?.Dispose();
        }
    }
}
