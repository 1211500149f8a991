// The sending side of one flow-controlled stream (see FlowWindows): waits until the peer's
// window has room for the next record, and opens when the peer's WindowUpdate arrives.
// Fails with the session's error when the session ends, so no sender waits forever.
// A receiver that grows the window grants more than was outstanding: the extra is credit
// (outstanding goes below zero), at most maxWindow - window of it.
namespace Tallow.Protocol.Session;

internal sealed class SendWindow(int window, int maxWindow)
{
    public SendWindow(int window)
        : this(window, window)
    {
    }

    private readonly Lock _lock = new();
    private long _outstanding;
    private TaskCompletionSource? _opened;
    private Exception? _failure;

    /// <summary>Bytes sent and not yet given back, below zero when the peer granted extra credit (tests and diagnostics).</summary>
    public long Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _outstanding;
            }
        }
    }

    public async ValueTask TakeAsync(int cost, CancellationToken ct)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_failure is not null)
                {
                    throw _failure;
                }

                if (_outstanding <= 0 || _outstanding + cost <= window)
                {
                    _outstanding += cost;
                    return;
                }

                _opened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _opened.Task;
            }

            await wait.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The peer freed <paramref name="bytes"/>; more than was outstanding is extra credit (the window grew), up to maxWindow.</summary>
    public void Grant(uint bytes)
    {
        TaskCompletionSource? opened;
        lock (_lock)
        {
            _outstanding = Math.Max(window - (long)maxWindow, _outstanding - bytes);
            opened = _opened;
            _opened = null;
        }

        opened?.TrySetResult();
    }

    public void Fail(Exception failure)
    {
        TaskCompletionSource? opened;
        lock (_lock)
        {
            _failure ??= failure;
            opened = _opened;
            _opened = null;
        }

        opened?.TrySetResult();
    }
}
