// Result of the NAT probe (DESIGN.md §5.7, §9.2).
namespace Tallow.Net.Direct;

public enum NatMapping
{
    /// <summary>The probe port saw the same address and port as the relay's main port: the mapping of P does not depend on the destination.</summary>
    EndpointIndependent,

    /// <summary>The probe port saw another port or address: a symmetric NAT, so the server-reflexive candidate is useless to peers.</summary>
    EndpointDependent,

    /// <summary>No answer (no probe port, timeout, refused, malformed): nothing is known.</summary>
    Unknown,
}
