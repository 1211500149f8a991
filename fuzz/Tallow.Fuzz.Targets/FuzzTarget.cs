// One fuzz target: a name, the entry that feeds untrusted bytes to one parser, and the seed
// inputs its own encoders produce. An entry lets through only the parser's documented way of
// refusing input (a false/status result, or its documented exception type, which the entry
// catches); any other exception escaping it is a finding.
namespace Tallow.Fuzz.Targets;

/// <summary>Feeds <paramref name="data"/> to one parser; throws only on a finding.</summary>
public delegate void FuzzEntry(ReadOnlySpan<byte> data);

public sealed record FuzzTarget(string Name, string Parser, FuzzEntry Fuzz, Func<IEnumerable<byte[]>> Seeds)
{
    /// <summary>The folder under fuzz/corpus/ whose inputs this target reads (another target's, when both share a format).</summary>
    public string Corpus { get; init; } = Name;

    /// <summary>
    /// The code under test runs on several threads. SharpFuzz keeps one previous-location for all
    /// threads, so AFL's coverage of such a target is noise: fuzz/run.sh runs it only when named,
    /// and never adds its queue to the corpus. The corpus replay runs it like any other target.
    /// </summary>
    public bool Threaded { get; init; }
}

/// <summary>A parser accepted input and then broke one of its own invariants (e.g. its encoder does not give the bytes back).</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }
}
