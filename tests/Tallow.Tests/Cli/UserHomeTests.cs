// UserHome.Lookup: the --user entry of an /etc/passwd text (home and ids), and names that are not
// there or cannot be (empty, with ':') found as nothing.
using Tallow.Cli.Ssh;
using Tallow.Protocol.Ssh;

namespace Tallow.Tests.Cli;

public class UserHomeTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001:Alice,,,:/home/alice:/bin/bash\nbroken:x:abc:1:bad uid:/home/broken:/bin/sh\nrel:x:5:5::home/rel:/bin/sh\n";

    [Fact]
    public void A_user_in_passwd_gets_its_home_and_ids()
    {
        UserHome alice = UserHome.Lookup("alice", Passwd)!;
        Assert.Equal("/home/alice", alice.Home);
        Assert.Equal(new FileOwner(1000, 1001), alice.Owner);
    }

    [Theory]
    [InlineData("bob")]
    [InlineData("")]
    [InlineData("alice:x")]
    [InlineData("broken")]
    [InlineData("rel")]
    public void Unknown_impossible_or_malformed_entries_are_not_found(string user) => Assert.Null(UserHome.Lookup(user, Passwd));
}
