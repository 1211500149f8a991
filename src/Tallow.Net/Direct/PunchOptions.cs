// Timeouts and the TTL trick of the hole punch (DESIGN.md §9.3), configurable for tests.
namespace Tallow.Net.Direct;

public sealed record PunchOptions
{
    /// <summary>How long one remote candidate is dialed (retrying) before it is given up.</summary>
    public TimeSpan CandidateTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound of the whole attempt, from the first dial to the decision.</summary>
    public TimeSpan OverallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After the last dial ended, how long the listener may still receive the peer's connection.</summary>
    public TimeSpan AcceptGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time for the proof exchange on a new connection.</summary>
    public TimeSpan ProofTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Pause between two dials of a candidate that refused or was unreachable.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// TTL of the first SYN to a server-reflexive candidate (0 = never lowered). The SYN opens our
    /// own NAT's mapping and expires before the peer's NAT, which might answer it with a reset that
    /// tears our mapping down again; the kernel's retransmission a second later goes out at the
    /// normal TTL and meets the peer's SYN (TCP simultaneous open). 2 suits a host behind one home
    /// router; a carrier-grade NAT needs more.
    /// </summary>
    public int FirstSynTtl { get; init; } = 2;

    /// <summary>How long the first SYN is given to leave before the TTL is restored.</summary>
    public TimeSpan LowTtlHold { get; init; } = TimeSpan.FromMilliseconds(50);
}
