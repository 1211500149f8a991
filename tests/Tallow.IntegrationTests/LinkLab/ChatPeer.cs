// One side of a `tallow chat --json` session in the link lab, written against the chat contract
// (the command is being written; these tests fail until it lands):
//   create: `tallow chat --json --relay R [--no-p2p]` → {"v":1,"event":"code","code":"..."};
//   join:   `tallow chat CODE --json --relay R [--yes --out DIR]`; both emit peer_joined (and p2p_upgrade/p2p_fallback);
//   each stdin line is one message → the other side emits {"event":"message","from":"peer","text":...,"ts":<unix s>};
//   a line `/send PATH` offers a file or folder; end of stdin leaves: the other side emits peer_left, both exit 0.
// stdin stays open through a Channel<string> the test feeds; completing it (Leave) closes stdin.
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.LinkLab;

internal sealed class ChatPeer : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private ChatPeer(string role, IEnumerable<string> args, string workingDirectory, string netns)
    {
        Role = role;
        Process = TallowProcess.Start(args, workingDirectory: workingDirectory, netns: netns, stdin: WriteLinesAsync);
    }

    public string Role { get; }

    public TallowProcess Process { get; }

    /// <summary>Creates a chat in A and joins it from B (B gets <paramref name="joinerExtra"/>, e.g. --yes --out DIR); returns once both reported peer_joined.</summary>
    public static async Task<(ChatPeer A, ChatPeer B)> OpenAsync(ShapedLab lab, TempDir dir, string[] creatorExtra, string[] joinerExtra)
    {
        ChatPeer a = lab.Own(new ChatPeer("chat A", ["chat", "--json", "--relay", lab.RelayAddress, .. creatorExtra], dir.Path, lab.NamespaceA));
        JsonElement code = await a.Process.WaitForEventAsync("code", TimeSpan.FromSeconds(60));
        Assert.True(code.TryGetProperty("v", out JsonElement v) && v.GetInt32() == 1, $"code event without \"v\":1: {code}");
        ChatPeer b = lab.Own(new ChatPeer("chat B", ["chat", code.GetProperty("code").GetString()!, "--json", "--relay", lab.RelayAddress, .. joinerExtra], dir.Path, lab.NamespaceB));
        await a.WaitForAsync("peer_joined", _ => true, TimeSpan.FromSeconds(60));
        await b.WaitForAsync("peer_joined", _ => true, TimeSpan.FromSeconds(60));
        return (a, b);
    }

    /// <summary>Writes one stdin line (a message, or a command such as /send PATH).</summary>
    public ValueTask SayAsync(string line) => _lines.Writer.WriteAsync(line);

    /// <summary>Ends stdin: leaves the chat.</summary>
    public void Leave() => _lines.Writer.TryComplete();

    public Task<JsonElement> WaitForAsync(string name, Func<JsonElement, bool> match, TimeSpan timeout) =>
        LabTransfer.WaitForEventAsync(Process, Role, name, match, timeout);

    /// <summary>Waits for the peer's message with exactly this text and checks its fields.</summary>
    public async Task<JsonElement> WaitForMessageAsync(string text, TimeSpan timeout)
    {
        JsonElement message = await WaitForAsync("message", e => e.TryGetProperty("text", out JsonElement t) && t.GetString() == text, timeout);
        Assert.True(message.TryGetProperty("from", out JsonElement from) && from.GetString() == "peer", $"{Role}: message without \"from\":\"peer\": {message}");
        Assert.True(message.TryGetProperty("ts", out JsonElement ts) && ts.ValueKind == JsonValueKind.Number, $"{Role}: message without a numeric ts: {message}");
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        Assert.True(Math.Abs(ts.GetDouble() - now) < 600, $"{Role}: ts {ts.GetDouble()} is not unix seconds near {now:F0}: {message}");
        return message;
    }

    /// <summary>Index of the first event with this name that matches in the process's event order (arrival order on stdout), or -1.</summary>
    public int IndexOf(string name, Func<JsonElement, bool> match)
    {
        IReadOnlyList<JsonElement> events = Process.Events;
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i].TryGetProperty("event", out JsonElement n) && n.GetString() == name && match(events[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public string Describe() => LabTransfer.Describe(Process, Role);

    public async ValueTask DisposeAsync()
    {
        Leave();
        await Process.DisposeAsync();
    }

    private async Task WriteLinesAsync(Stream stdin)
    {
        await foreach (string line in _lines.Reader.ReadAllAsync())
        {
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            await stdin.FlushAsync();
        }
    }
}
