// One `tallow chat` process in a chat room for tests: the real binary in --json mode, its stdin
// fed line by line, and helpers to wait for its events (peer_joined, message, peer_left...).
using System.Diagnostics;
using System.Text.Json;
using Tallow.IntegrationTests.Infrastructure;

namespace Tallow.IntegrationTests.Chat;

public sealed class RoomMember : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private RoomMember(string name, TallowProcess process, LineInput input)
    {
        Name = name;
        Process = process;
        Input = input;
    }

    public string Name { get; }

    public TallowProcess Process { get; }

    public LineInput Input { get; }

    /// <summary>Opens a room (--multi) on <paramref name="relay"/>; returns the creator and the code.</summary>
    public static async Task<(RoomMember Creator, string Code)> OpenAsync(string relay, string name, params string[] extra)
    {
        var input = new LineInput();
        TallowProcess process = TallowProcess.Start(["chat", "--multi", "--json", "--name", name, "--relay", relay, .. extra], stdin: input.PumpAsync);
        var member = new RoomMember(name, process, input);
        string code = (await process.WaitForEventAsync("code", Timeout)).GetProperty("code").GetString()!;
        return (member, code);
    }

    /// <summary>Joins the room of <paramref name="code"/> (not waiting for anything).</summary>
    public static RoomMember Join(string relay, string code, string name, params string[] extra)
    {
        var input = new LineInput();
        TallowProcess process = TallowProcess.Start(["chat", code, "--json", "--name", name, "--relay", relay, .. extra], stdin: input.PumpAsync);
        return new RoomMember(name, process, input);
    }

    public void Say(string text) => Input.Send(text);

    /// <summary>The message events this member received, in arrival order, as (from, text).</summary>
    public IReadOnlyList<(string From, string Text)> Messages =>
        [.. Events("message").Select(e => (e.GetProperty("from").GetString()!, e.GetProperty("text").GetString()!))];

    public IEnumerable<JsonElement> Events(string name) => Process.Events.Where(e => e.GetProperty("event").GetString() == name);

    /// <summary>Waits until <paramref name="condition"/> holds for this member's events.</summary>
    public async Task WaitUntilAsync(Func<RoomMember, bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? Timeout))
        {
            if (condition(this))
            {
                return;
            }

            Assert.False(Process.HasExited && !condition(this), $"{Name} exited before {what}.\n{Process.Stdout}\n{Process.Stderr}");
            await Task.Delay(50);
        }

        throw new TimeoutException($"{Name}: no {what} within {(timeout ?? Timeout).TotalSeconds:0} s.\n{Process.Stdout}\n{Process.Stderr}");
    }

    /// <summary>Waits until this member has seen <paramref name="count"/> peer_joined events in all.</summary>
    public Task WaitForJoinsAsync(int count) => WaitUntilAsync(m => m.Events("peer_joined").Count() >= count, $"{count} members joined");

    public Task WaitForMessageAsync(string from, string text) =>
        WaitUntilAsync(m => m.Messages.Contains((from, text)), $"message '{text}' from {from}");

    public async ValueTask DisposeAsync()
    {
        Input.Close();
        await Process.DisposeAsync();
    }
}
