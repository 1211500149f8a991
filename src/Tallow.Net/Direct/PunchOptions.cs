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

    /// <summary>
    /// The responder starts dialing this much later than the initiator, so the two SYNs do not
    /// cross (HandshakeRtt: a crossing leaves the kernel an RTT sample far too small, and BBR then
    /// crawls for 10 s). The initiator's SYN reaches the responder's listener first where nothing
    /// filters it (a normal handshake); where a NAT or firewall drops it, the responder's later SYN
    /// reaches the initiator while its own SYN waits for retransmission (also a clean handshake).
    /// It must exceed the one-way delay plus the skew of the two starts (at most the relay's one-way
    /// delay); through NATs it costs nothing, as the initiator's first SYN at the normal TTL leaves
    /// only a second after its low-TTL one.
    /// </summary>
    public TimeSpan ResponderDialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the first SYN is given to leave before the TTL is restored.</summary>
    public TimeSpan LowTtlHold { get; init; } = TimeSpan.FromMilliseconds(50);
}
