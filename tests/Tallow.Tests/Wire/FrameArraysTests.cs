// FrameArrays: large frame arrays (over ChunkArrays.PooledUpTo) are kept in 16 KiB classes and
// lent to smaller classes (up to twice the length) so records of every size find one; the number
// kept is bounded.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class FrameArraysTests
{
    private const int Step = 16 * 1024; // lengths below are all over ChunkArrays.PooledUpTo (4 steps)

    [Fact]
    public void A_large_array_is_rounded_up_to_its_class_and_reused_for_the_same_class()
    {
        var pool = new FrameArrays(maxKept: 4);
        byte[] first = pool.Rent((8 * Step) + 1);
        Assert.Equal(9 * Step, first.Length);
        pool.Return(first);
        Assert.Same(first, pool.Rent((9 * Step) - 7));
    }

    [Fact]
    public void A_class_with_nothing_kept_borrows_the_smallest_kept_array_up_to_twice_its_length()
    {
        var pool = new FrameArrays(maxKept: 4);
        byte[] large = pool.Rent(16 * Step);
        byte[] medium = pool.Rent(10 * Step);
        pool.Return(large);
        pool.Return(medium);

        Assert.Same(medium, pool.Rent(6 * Step)); // 10 steps: the smallest kept one that fits, within twice 6 steps
        byte[] small = pool.Rent(6 * Step);        // 16 steps is more than twice 6: a new array of its own class
        Assert.Equal(6 * Step, small.Length);
        Assert.Same(large, pool.Rent(8 * Step));   // 16 steps is exactly twice 8
    }

    [Fact]
    public void No_more_arrays_than_the_limit_are_kept()
    {
        var pool = new FrameArrays(maxKept: 1);
        byte[] a = pool.Rent(8 * Step);
        byte[] b = pool.Rent(8 * Step);
        pool.Return(a);
        pool.Return(b); // over the limit: left to the collector
        Assert.Same(a, pool.Rent(8 * Step));
        Assert.NotSame(b, pool.Rent(8 * Step));
    }
}
