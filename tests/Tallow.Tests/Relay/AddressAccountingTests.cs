// Per-address accounting of the relay (DESIGN.md §5.5) without sockets: AddressKey groups an IPv6
// /64 and unmaps IPv4-mapped addresses, AddressCounter holds a limit per address and gives every
// slot back, and FailedClaimLimiter (on a fake clock) blocks an address after MaxFailures within
// the window, for exactly the block time, without touching other addresses, and forgets idle ones.
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tallow.Relay;

namespace Tallow.Tests.Relay;

public class AddressAccountingTests
{
    private static readonly UInt128 A = AddressKey.Of(IPAddress.Parse("198.51.100.7"));
    private static readonly UInt128 B = AddressKey.Of(IPAddress.Parse("198.51.100.8"));

    [Fact]
    public void An_IPv6_64_is_one_address_and_IPv4_mapped_counts_as_IPv4()
    {
        Assert.Equal(AddressKey.Of(IPAddress.Parse("2001:db8:1:2::1")), AddressKey.Of(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.NotEqual(AddressKey.Of(IPAddress.Parse("2001:db8:1:2::1")), AddressKey.Of(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal(A, AddressKey.Of(IPAddress.Parse("::ffff:198.51.100.7")));
        Assert.NotEqual(A, B);

        // An IPv4 address never shares a key with the IPv6 /64 that holds the same bytes.
        Assert.NotEqual(AddressKey.Of(IPAddress.Parse("0.0.0.1")), AddressKey.Of(IPAddress.Parse("::1")));
    }

    [Fact]
    public void A_counter_refuses_past_its_limit_per_address_and_frees_a_slot_on_release()
    {
        var counter = new AddressCounter(3);
        Assert.True(counter.TryAcquire(A));
        Assert.True(counter.TryAcquire(A));
        Assert.True(counter.TryAcquire(A));
        Assert.False(counter.TryAcquire(A));
        Assert.True(counter.TryAcquire(B)); // another address is not affected
        Assert.Equal(3, counter.CountOf(A));

        counter.Release(A);
        Assert.True(counter.TryAcquire(A));
        Assert.False(counter.TryAcquire(A));
    }

    [Fact]
    public void A_counter_forgets_an_address_that_holds_nothing_and_ignores_extra_releases()
    {
        var counter = new AddressCounter(2);
        Assert.True(counter.TryAcquire(A));
        Assert.True(counter.TryAcquire(B));
        counter.Release(A);
        counter.Release(A); // a second release of a slot never acquired must not go negative
        Assert.Equal(1, counter.Addresses);
        Assert.Equal(0, counter.CountOf(A));
        Assert.True(counter.TryAcquire(A));
        Assert.True(counter.TryAcquire(A));
        Assert.False(counter.TryAcquire(A));
    }

    [Fact]
    public void A_counter_with_limit_zero_never_refuses()
    {
        var counter = new AddressCounter(0);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(counter.TryAcquire(A));
        }

        Assert.Equal(0, counter.Addresses);
    }

    [Fact]
    public void The_failure_that_reaches_the_limit_blocks_the_address_for_exactly_the_block_time()
    {
        var clock = new FakeTimeProvider();
        var limiter = new FailedClaimLimiter(3, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), clock);
        Assert.False(limiter.RecordFailure(A));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.False(limiter.RecordFailure(A));
        Assert.False(limiter.IsBlocked(A, out _));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(limiter.RecordFailure(A)); // the third within a minute

        Assert.True(limiter.IsBlocked(A, out TimeSpan remaining));
        Assert.Equal(TimeSpan.FromMinutes(2), remaining);
        Assert.False(limiter.IsBlocked(B, out _)); // only that address

        clock.Advance(TimeSpan.FromSeconds(119));
        Assert.True(limiter.IsBlocked(A, out remaining));
        Assert.Equal(TimeSpan.FromSeconds(1), remaining);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(limiter.IsBlocked(A, out _));

        // After the block the address starts afresh: it needs the full count again.
        Assert.False(limiter.RecordFailure(A));
        Assert.False(limiter.RecordFailure(A));
        Assert.True(limiter.RecordFailure(A));
    }

    [Fact]
    public void Failures_spread_wider_than_the_window_never_block()
    {
        var clock = new FakeTimeProvider();
        var limiter = new FailedClaimLimiter(3, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), clock);
        for (int i = 0; i < 100; i++)
        {
            Assert.False(limiter.RecordFailure(A));
            clock.Advance(TimeSpan.FromSeconds(31)); // two per window at most
            Assert.False(limiter.IsBlocked(A, out _));
        }
    }

    [Fact]
    public void Failures_while_blocked_do_not_extend_the_block()
    {
        var clock = new FakeTimeProvider();
        var limiter = new FailedClaimLimiter(2, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), clock);
        limiter.RecordFailure(A);
        Assert.True(limiter.RecordFailure(A));
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.False(limiter.RecordFailure(A));
        Assert.True(limiter.IsBlocked(A, out TimeSpan remaining));
        Assert.Equal(TimeSpan.FromSeconds(30), remaining);
    }

    [Fact]
    public void A_limiter_with_zero_failures_allowed_is_off()
    {
        var limiter = new FailedClaimLimiter(0, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), new FakeTimeProvider());
        for (int i = 0; i < 1000; i++)
        {
            Assert.False(limiter.RecordFailure(A));
        }

        Assert.False(limiter.IsBlocked(A, out _));
        Assert.Equal(0, limiter.Tracked);
    }

    [Fact]
    public void Addresses_whose_window_passed_are_pruned_so_a_wide_scan_cannot_grow_the_table()
    {
        var clock = new FakeTimeProvider();
        var limiter = new FailedClaimLimiter(5, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), clock);
        for (uint i = 0; i < 5000; i++)
        {
            limiter.RecordFailure(AddressKey.Of(new IPAddress(i + 1)));
        }

        Assert.Equal(5000, limiter.Tracked);
        clock.Advance(TimeSpan.FromMinutes(2));
        limiter.RecordFailure(A); // the next failure prunes the expired entries
        Assert.Equal(1, limiter.Tracked);
    }
}
