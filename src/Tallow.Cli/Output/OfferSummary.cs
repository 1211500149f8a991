// One-line description of an offer, shared by send and receive ("3 files in 2 folders (1.2 GiB)").
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Output;

internal static class OfferSummary
{
    public static string Describe(TransferOffer offer)
    {
        switch (offer.Kind)
        {
            case TransferKind.Text:
                return $"text ({Units.Bytes(offer.TotalSize)})";
            case TransferKind.Stream:
                return "a stream of unknown length";
            default:
                int files = offer.Entries.Count(e => e.Type == EntryType.File);
                int folders = offer.Entries.Count - files;
                string size = Units.Bytes(offer.TotalSize);
                if (files == 1 && folders == 0)
                {
                    return $"'{PathSanitizer.Printable(offer.Entries[0].Path)}' ({size})";
                }

                string what = Count(files, "file");
                return folders == 0 ? $"{what} ({size})" : $"{what} in {Count(folders, "folder")} ({size})";
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
