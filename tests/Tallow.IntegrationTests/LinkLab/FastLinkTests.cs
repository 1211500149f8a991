// Profile (b) — 100 Mbit/s, 80 ms round trip — a 1 GiB file over the direct path, unthrottled:
// at 12.5 MB/s it needs at least 86 s (longer than the ~45 s after which the review saw direct
// transfers stall), and a shorter time would mean the rate limit did not apply. Own collection.
using Tallow.IntegrationTests.Infrastructure;
using Tallow.IntegrationTests.NatLab;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

[Collection("LinkLab.FastDirect")]
public sealed class FastLinkDirectTests(ITestOutputHelper output)
{
    private const long FileSize = 1L << 30;

    [NatLabFact]
    public async Task Gigabyte_direct_transfer_on_a_100_mbit_80_ms_link_completes()
    {
        await using ShapedLab lab = ShapedLab.Create(LinkProfile.Fast);
        LinkLabShapingTests.AssertShaped(lab, output);
        using var dir = new TempDir();
        LabRun run = await LabTransfer.RunInLabAsync(lab, dir, FileSize, [], [], TimeSpan.FromMinutes(10));
        run.Summarize(output, "direct, ≥ 86 s at the link rate");
        run.AssertDirect();
        run.AssertLastedAtLeast(0.95 * FileSize / LinkProfile.Fast.RateBytesPerSecond);
        long sent = ShapedLab.QdiscSentBytes(lab.NamespaceA, "eth0");
        Assert.True(sent >= FileSize, $"A's shaped eth0 sent only {sent:N0} bytes.\n{run.Describe()}");
    }
}
