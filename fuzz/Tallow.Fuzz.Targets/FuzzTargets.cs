// Every fuzz target, by name (the names of fuzz/corpus/<target>/ and fuzz/findings/<target>/).
using Tallow.Fuzz.Targets.Cli;
using Tallow.Fuzz.Targets.Net;
using Tallow.Fuzz.Targets.Protocol;
using Tallow.Fuzz.Targets.Relay;
using Tallow.Fuzz.Targets.Wire;

namespace Tallow.Fuzz.Targets;

public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        FrameTargets.Frames,
        RelayMessageTargets.RelayMessages,
        HandshakeTarget.Handshake,
        RecordTarget.Records,
        RecordSessionTarget.Session,
        TransferMessageTargets.Offer,
        TransferMessageTargets.Accept,
        TransferMessageTargets.TransferMessages,
        SessionMessageTargets.SessionMessages,
        ClipMessageTargets.ClipMessages,
        ZstdTarget.Zstd,
        SidecarTarget.Sidecar,
        PathMessageTargets.P2P,
        PathMessageTargets.Direct,
        Socks5Target.Socks5,
        DnsTargets.Dns,
        DnsTargets.DnsNameTarget,
        DnsTargets.Mdns,
        RelayConfigTarget.RelayConfig,
        WebRequestTarget.WebRequest,
        ClientConfigTarget.ClientConfig,
        TerminalTextTarget.TerminalTextCleaning,
        SyncMessageTargets.SyncMessages,
        SyncMessageTargets.ChunkCacheFile,
        SshKeyTarget.SshKey,
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
