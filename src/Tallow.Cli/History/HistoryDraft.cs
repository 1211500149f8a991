// What a command learns about its transfer while it runs, collected for the one history entry
// CommandRunner writes when the command ends (HistoryRecorder). Commands call Begin when they
// know what moves (the sender before connecting, the receiver when the offer arrives); the path,
// relay and acceptance come from the shared session and reporting code. The code phrase and the
// relay password are kept here only to be blanked out of a failure's reason, never stored.
using System.Diagnostics;
using Tallow.Wire;

namespace Tallow.Cli.History;

internal sealed class HistoryDraft
{
    private readonly List<string> _secrets = [];
    private long _bytesMoved;

    /// <summary>True once Begin was called: only then is anything recorded.</summary>
    public bool Begun { get; private set; }

    public DateTimeOffset Started { get; private set; }

    public string Direction { get; private set; } = "sent";

    public string Kind { get; private set; } = "files";

    public IReadOnlyList<string> Names { get; private set; } = [];

    public int NameCount { get; private set; }

    /// <summary>The offer's total size, or null (a stream, a sync) when only what moved is known.</summary>
    public long? OfferedBytes { get; private set; }

    public string Path { get; set; } = "relay";

    public string? Relay { get; set; }

    private long _acceptedAt;

    /// <summary>The offer was accepted (by the other side, or this one): the transfer itself began.</summary>
    public bool Accepted => _acceptedAt != 0;

    /// <summary>Time since the first acceptance (a watch: since its first round), or null.</summary>
    public TimeSpan? SinceAccepted => Accepted ? Stopwatch.GetElapsedTime(_acceptedAt) : null;

    public void MarkAccepted()
    {
        if (_acceptedAt == 0)
        {
            _acceptedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>The transfer starts: <paramref name="offer"/> is what moves, <paramref name="sending"/> which way.</summary>
    public void Begin(bool sending, TransferOffer offer)
    {
        Begun = true;
        Started = DateTimeOffset.UtcNow;
        Direction = sending ? "sent" : "received";
        Kind = offer.Kind.ToString().ToLowerInvariant();
        List<string> top = offer.Kind switch
        {
            TransferKind.Text => ["text"],
            TransferKind.Stream => ["stream"],
            _ => [.. offer.Entries.Select(e => e.Path).Where(p => !p.Contains('/', StringComparison.Ordinal))],
        };
        NameCount = top.Count;
        Names = [.. top.Take(HistoryEntry.MaxNames).Select(n => n.Length > HistoryEntry.MaxNameLength ? n[..HistoryEntry.MaxNameLength] : n)];
        OfferedBytes = offer.Kind is TransferKind.Files or TransferKind.Text ? (long)offer.TotalSize : null;
    }

    /// <summary>Bytes that moved (streams, sync rounds): the size when the offer did not say.</summary>
    public void AddBytesMoved(long bytes) => _bytesMoved += Math.Max(0, bytes);

    public long? Bytes => OfferedBytes ?? (_bytesMoved > 0 || Accepted ? _bytesMoved : null);

    /// <summary>A secret (the code, a password) that must never reach the history, not even inside an error text.</summary>
    public void Redact(string? secret)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            _secrets.Add(secret);
        }
    }

    /// <summary>An error text made fit for the history: secrets blanked, one line, bounded.</summary>
    public string ShortReason(string message)
    {
        string text = message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        foreach (string secret in _secrets)
        {
            text = text.Replace(secret, "[redacted]", StringComparison.OrdinalIgnoreCase);
        }

        return text.Length > HistoryEntry.MaxReasonLength ? text[..(HistoryEntry.MaxReasonLength - 1)] + "…" : text;
    }
}
