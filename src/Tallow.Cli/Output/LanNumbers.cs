// The numbers (nameplates) of the senders on this LAN, browsed by mDNS in the background while the
// code prompt is open, so Tab completes the number as it completes the words. Only when no relay
// is configured: zero-config `receive` finds its sender the same way (DESIGN.md §10). Bounded:
// one browse at a time, a pause between browses, at most MaxBrowses in all.
using System.Net.Sockets;
using Tallow.Net.Discovery;

namespace Tallow.Cli.Output;

internal sealed class LanNumbers : IAsyncDisposable
{
    private const int MaxBrowses = 100;
    private static readonly TimeSpan BrowseTime = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile IReadOnlyList<uint>? _found;

    public LanNumbers()
    {
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The numbers the latest browse found, ascending; null until the first browse ended.</summary>
    public IReadOnlyList<uint>? Found => _found;

    private async Task LoopAsync()
    {
        for (int i = 0; i < MaxBrowses; i++)
        {
            try
            {
                _found = await MdnsBrowser.ListNameplatesAsync(BrowseTime, _stop.Token).ConfigureAwait(false);
                await Task.Delay(Pause, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                _found ??= [];
                return; // no multicast here: nothing to complete from
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
