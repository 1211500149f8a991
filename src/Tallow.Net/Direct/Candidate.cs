// One address a peer offers for the direct path (DESIGN.md §9.2); remote ones are untrusted
// until CandidateValidator.Filter has accepted them.
using System.Net;

namespace Tallow.Net.Direct;

public readonly record struct Candidate(CandidateType Type, IPEndPoint EndPoint)
{
    public override string ToString() => $"{Type} {EndPoint}";
}
