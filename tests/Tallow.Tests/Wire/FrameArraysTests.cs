// FrameArrays: large frame arrays are kept in 128 KiB classes and lent to smaller classes (up
// to twice the length) so records of every size find one; the number kept is bounded.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class FrameArraysTests
{
    private const int Step = 128 * 1024;

    [Fact]
    public void A_large_array_is_rounded_up_to_its_class_and_reused_for_the_same_class()
    {
        var pool = new FrameArrays(maxKept: 4);
        byte[] first = pool.Rent(Step + 1);
        Assert.Equal(2 * Step, first.Length);
        pool.Return(first);
        Assert.Same(first, pool.Rent((2 * Step) - 7));
    }

    [Fact]
    public void A_class_with_nothing_kept_borrows_the_smallest_kept_array_up_to_twice_its_length()
    {
        var pool = new FrameArrays(maxKept: 4);
        byte[] large = pool.Rent(8 * Step);
        byte[] medium = pool.Rent(5 * Step);
        pool.Return(large);
        pool.Return(medium);

        Assert.Same(medium, pool.Rent(3 * Step)); // 5 steps: the smallest kept one that fits, within twice 3 steps
        byte[] small = pool.Rent(3 * Step);        // 8 steps is more than twice 3: a new array of its own class
        Assert.Equal(3 * Step, small.Length);
        Assert.Same(large, pool.Rent(4 * Step));    // 8 steps is exactly twice 4
    }

    [Fact]
    public void No_more_arrays_than_the_limit_are_kept()
    {
        var pool = new FrameArrays(maxKept: 1);
        byte[] a = pool.Rent(2 * Step);
        byte[] b = pool.Rent(2 * Step);
        pool.Return(a);
        pool.Return(b); // over the limit: left to the collector
        Assert.Same(a, pool.Rent(2 * Step));
        Assert.NotSame(b, pool.Rent(2 * Step));
    }
}
