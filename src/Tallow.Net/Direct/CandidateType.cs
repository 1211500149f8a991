// Kinds of direct-path candidates (DESIGN.md §9.2). The values travel inside sealed records.
namespace Tallow.Net.Direct;

public enum CandidateType : byte
{
    /// <summary>An address of one of the peer's own interfaces, with its shared port P.</summary>
    Host = 1,

    /// <summary>The peer's address and port as the relay observed them (its NAT mapping of P).</summary>
    ServerReflexive = 2,
}
