// `send --dry-run`: what would be offered, without connecting. Human mode prints one line per
// entry on stdout (size and path; folders end with '/') and a total line ("3 files, 2 folders,
// 12.4 MiB"); --json emits one dry_run_entry{path,type,size} per entry and a final
// dry_run{files,folders,bytes}. Text and stdin are described, stdin with an unknown size.
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Cli.Output;

internal static class DryRunReport
{
    private const int SizeColumn = 10;

    public static void Render(TransferOffer offer, Reporter reporter)
    {
        int files = 0;
        int folders = 0;
        long? bytes = offer.Kind == TransferKind.Stream ? null : 0;
        foreach (OfferEntry entry in offer.Entries)
        {
            bool folder = entry.Type == EntryType.Directory;
            long? size = folder ? null : offer.Kind == TransferKind.Stream ? null : (long)entry.Size;
            string type = folder ? "directory" : offer.Kind switch
            {
                TransferKind.Text => "text",
                TransferKind.Stream => "stream",
                _ => "file",
            };
            folders += folder ? 1 : 0;
            files += folder ? 0 : 1;
            bytes += size ?? 0;
            reporter.Event("dry_run_entry", ("path", entry.Path), ("type", type), ("size", size));
            if (!reporter.Json)
            {
                string shownSize = folder ? string.Empty : size is long known ? Units.Bytes(known) : "unknown";
                string shownPath = offer.Kind switch
                {
                    TransferKind.Text => "(text given with --text)",
                    TransferKind.Stream => $"(stdin, sent as '{PathSanitizer.Printable(entry.Path)}')",
                    _ => PathSanitizer.Printable(entry.Path) + (folder ? "/" : string.Empty),
                };
                Console.Out.WriteLine($"{shownSize.PadLeft(SizeColumn)}  {shownPath}");
            }
        }

        reporter.Event("dry_run", ("files", files), ("folders", folders), ("bytes", bytes));
        if (!reporter.Json)
        {
            Console.Out.WriteLine(offer.Kind switch
            {
                TransferKind.Text => $"text, {Units.Bytes(bytes ?? 0)}",
                TransferKind.Stream => "stdin, size unknown until sent",
                _ => $"{Count(files, "file")}, {Count(folders, "folder")}, {Units.Bytes(bytes ?? 0)}",
            });
            Console.Out.Flush();
        }

        reporter.Info("Dry run: nothing was sent and no connection was made.");
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
