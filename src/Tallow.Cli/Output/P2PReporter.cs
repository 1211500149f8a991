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

    public void Upgraded(IPEndPoint peer, HandshakeRtt rtt)
    {
        reporter.Event("p2p_upgrade", ("address", peer.ToString()), ("rtt_ms", Milliseconds(rtt.RoundTrip)),
            ("kernel_min_rtt_ms", rtt.KernelMinRtt is TimeSpan min ? Milliseconds(min) : null),
            ("kernel_rtt_mismeasured", rtt.KernelMismeasured), ("congestion_control", rtt.CongestionControl));
        reporter.History.Path = "direct";
        reporter.Info($"Upgraded to direct P2P connection ({peer})");
    }

    /// <summary>The peer's intent said it is a web page (relay only, raw chunks only: no zstd).</summary>
    public bool PeerIsWeb { get; private set; }

    public void FellBack(P2PFallbackReason reason)
    {
        PeerIsWeb |= reason == P2PFallbackReason.WebPeer;
        string text = P2PFallbackReasons.Describe(reason);
        reporter.Event("p2p_fallback", ("reason", text));
        reporter.History.Path = "relay";
        reporter.Info(reason switch
        {
            P2PFallbackReason.DirectConnectionLost => "Direct P2P connection lost, continuing via relay",
            P2PFallbackReason.WebPeer => "The peer is a web browser: staying on the relay",
            _ => $"P2P direct connection unavailable ({text}), continuing via relay",
        });
    }

    private static double Milliseconds(TimeSpan t) => Math.Round(t.TotalMilliseconds, 2);
}
