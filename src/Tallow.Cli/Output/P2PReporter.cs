// The P2P upgrade as users and scripts see it (DESIGN.md §9.5): the seed's exact wording on
// stderr, and p2p_attempt / p2p_upgrade / p2p_fallback events in --json mode.
using System.Net;
using Tallow.Net.Direct;
using Tallow.Wire;

namespace Tallow.Cli.Output;

internal sealed class P2PReporter(Reporter reporter) : IP2PObserver
{
    public void Attempting()
    {
        reporter.Event("p2p_attempt");
        reporter.Info("Attempting P2P direct connection...");
    }

    public void Upgraded(IPEndPoint peer)
    {
        reporter.Event("p2p_upgrade", ("address", peer.ToString()));
        reporter.History.Path = "direct";
        reporter.Info($"Upgraded to direct P2P connection ({peer})");
    }

    public void FellBack(P2PFallbackReason reason)
    {
        string text = P2PFallbackReasons.Describe(reason);
        reporter.Event("p2p_fallback", ("reason", text));
        reporter.History.Path = "relay";
        reporter.Info(reason == P2PFallbackReason.DirectConnectionLost
            ? "Direct P2P connection lost, continuing via relay"
            : $"P2P direct connection unavailable ({text}), continuing via relay");
    }
}
