// Relay tests that saturate loopback sockets (RelayAbuseTests) run alone, so the timing-based
// relay tests (idle and unpaired timeouts) are not starved by them.
namespace Tallow.Tests.Relay;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialRelayCollection
{
    public const string Name = "Serial relay tests";
}
