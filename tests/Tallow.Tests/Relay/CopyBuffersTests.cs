// CopyBuffers: the relay-wide budget for user-space forwarding buffers. Directions get what they
// ask for while the budget lasts and the 16 KiB floor beyond it (never nothing), and giving
// buffers back frees the budget again. Other relay tests may hold buffers meanwhile, so the
// assertions allow for them.
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class CopyBuffersTests
{
    [Fact]
    public void Past_the_budget_a_direction_gets_the_floor_and_returning_frees_the_budget()
    {
        const int Bulk = 256 * 1024;
        int fits = (int)(CopyBuffers.Budget / Bulk);
        var held = new List<byte[]>();
        try
        {
            for (int i = 0; i < fits + 2; i++)
            {
                held.Add(CopyBuffers.Rent(Bulk));
            }

            Assert.All(held, buffer => Assert.True(buffer.Length is Bulk or CopyBuffers.Floor, $"{buffer.Length} bytes"));
            Assert.True(held.Count(buffer => buffer.Length == CopyBuffers.Floor) >= 2, "asking past the budget gives the floor");
            held.Add(CopyBuffers.Rent(CopyBuffers.Floor));
            Assert.Equal(CopyBuffers.Floor, held[^1].Length); // the floor is always granted
        }
        finally
        {
            held.ForEach(CopyBuffers.Return);
        }

        // With ours back, a bulk buffer fits again (unless other tests hold nearly the whole budget, which they never do).
        byte[] again = CopyBuffers.Rent(Bulk);
        Assert.Equal(Bulk, again.Length);
        CopyBuffers.Return(again);
    }
}
