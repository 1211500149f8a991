// Long direct transfers on plain loopback (no namespace, no root needed; a fresh relay on
// 127.0.0.1), each in its own collection so they run in parallel with the rest of the suite:
//  - the review's exact repro: a 70 MB file sent with --throttle 1MB, upgraded to direct
//    (it stalled at ~50 MiB with "the peer sent nothing for 60 s", exit 4);
//  - a 10-minute direct transfer: 605 MB at --throttle 1MB (≥ 600 s asserted).
using Tallow.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Tallow.IntegrationTests.LinkLab;

[Collection("LinkLab.LoopbackRepro")]
public sealed class LoopbackThrottledReproTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Seventy_megabytes_at_1_MB_per_second_over_the_direct_path_completes()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        LabRun run = await LabTransfer.RunOnLoopbackAsync(relay, dir, 70_000_000, ["--throttle", "1MB"], [], TimeSpan.FromMinutes(4));
        try
        {
            run.Summarize(output, "direct, ~70 s");
            run.AssertDirect();
            run.AssertLastedAtLeast(65);
        }
        finally
        {
            await run.Sender.DisposeAsync();
            await run.Receiver.DisposeAsync();
        }
    }
}

[Collection("LinkLab.LoopbackTenMinutes")]
public sealed class LoopbackTenMinuteDirectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_minute_direct_transfer_completes()
    {
        await using RelayProcess relay = await RelayProcess.StartAsync();
        using var dir = new TempDir();
        LabRun run = await LabTransfer.RunOnLoopbackAsync(relay, dir, 605_000_000, ["--throttle", "1MB"], [], TimeSpan.FromMinutes(14));
        try
        {
            run.Summarize(output, "direct, ≥ 600 s");
            run.AssertDirect();
            run.AssertLastedAtLeast(600);
        }
        finally
        {
            await run.Sender.DisposeAsync();
            await run.Receiver.DisposeAsync();
        }
    }
}
