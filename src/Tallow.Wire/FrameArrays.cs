// Arrays for frame and record copies (the direct path's retransmit window and inbound queue, a
// session's inboxes, a hand-over record buffer, a frame reader's buffer). Small frames use the
// shared pool (ChunkArrays); large ones are kept in classes of 16 KiB steps, not powers of two: a
// power-of-two pool would hand out 2 MiB for every 1 MiB frame and double the memory the window
// really needs (128 KiB steps still cost an eighth: a 1 MiB chunk's frame took 1.125 MiB, on
// each of the six to eight arrays a direct receive keeps). Not at their exact length either:
// FileBatch records (many small files) differ in length, so every one missed the pool, and a
// 20,000-file receive spent a quarter of its time faulting in new 1 MiB arrays (perf). A bounded
// number of them is kept for reuse, so a steady transfer allocates no new large objects; a class
// that has none kept lends from the next larger ones (up to twice the length), since packed
// batches come in every size and a miss is a large-object allocation that starts a full collection.
namespace Tallow.Wire;

public sealed class FrameArrays
{
    /// <summary>
    /// The pool that received frames travel through: the direct path reads a frame into one of
    /// its arrays and a session's inbox may keep that very array (no copy) and give it back here.
    /// Enough for a full grown retransmit window (PathTimings.RetransmitWindowMax) of 1 MiB frames
    /// plus the inbound queue and an inbox; arrays are kept only once a transfer needed them.
    /// </summary>
    public static readonly FrameArrays Shared = new(maxKept: 40);

    private readonly Dictionary<int, Stack<byte[]>> _large = [];
    private readonly int _maxKept;
    private int _kept;

    public FrameArrays(int maxKept)
    {
        _maxKept = maxKept;
    }

    private const int ClassStep = 16 * 1024;

    /// <summary>An array of at least <paramref name="length"/> bytes (rounded up to 16 KiB steps when it is large, at most twice as long when reused).</summary>
    public byte[] Rent(int length)
    {
        if (length <= ChunkArrays.PooledUpTo)
        {
            return ChunkArrays.Rent(length);
        }

        length = (int)Math.Min(Array.MaxLength, ((long)length + ClassStep - 1) / ClassStep * ClassStep);

        lock (_large)
        {
            // Its own class, else the smallest kept one up to twice its length: records of many
            // sizes (packed batches) would otherwise miss while the kept arrays sit in other classes.
            Stack<byte[]>? best = null;
            int bestLength = int.MaxValue;
            foreach ((int kept, Stack<byte[]> stack) in _large)
            {
                if (kept >= length && kept < bestLength && kept / 2 <= length && stack.Count > 0)
                {
                    (best, bestLength) = (stack, kept);
                }
            }

            if (best is not null)
            {
                _kept--;
                return best.Pop();
            }
        }

        return GC.AllocateUninitializedArray<byte>(length);
    }

    public void Return(byte[] array)
    {
        if (array.Length <= ChunkArrays.PooledUpTo)
        {
            ChunkArrays.Return(array);
            return;
        }

        lock (_large)
        {
            if (_kept >= _maxKept)
            {
                return; // the collector takes it
            }

            if (!_large.TryGetValue(array.Length, out Stack<byte[]>? stack))
            {
                _large[array.Length] = stack = new Stack<byte[]>();
            }

            stack.Push(array);
            _kept++;
        }
    }
}
