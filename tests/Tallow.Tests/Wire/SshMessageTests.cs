// SshKey and SshKeyResult (protocol.md "SSH key exchange"): round trips, and bodies that are too
// long, truncated, with trailing bytes or an unknown status are refused.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class SshMessageTests
{
    [Fact]
    public void SshKey_round_trips_and_refuses_oversized_truncated_or_trailing_bodies()
    {
        var message = new SshKeyMessage("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOn5 ünï");
        byte[] body = message.ToBytes();
        Assert.True(SshKeyMessage.TryParse(body, out SshKeyMessage back));
        Assert.Equal(message, back);
        Assert.False(SshKeyMessage.TryParse([.. body, 0], out _));
        Assert.False(SshKeyMessage.TryParse(body[..^1], out _));
        Assert.False(SshKeyMessage.TryParse(new SshKeyMessage(new string('a', SshKeyMessage.MaxLineBytes + 1)).ToBytes(), out _));
    }

    [Theory]
    [InlineData(SshKeyStatus.Installed)]
    [InlineData(SshKeyStatus.AlreadyPresent)]
    [InlineData(SshKeyStatus.Declined)]
    [InlineData(SshKeyStatus.Refused)]
    public void SshKeyResult_round_trips_every_status(SshKeyStatus status)
    {
        var message = new SshKeyResultMessage(status, "the key was installed.");
        Assert.True(SshKeyResultMessage.TryParse(message.ToBytes(), out SshKeyResultMessage back));
        Assert.Equal(message, back);
    }

    [Fact]
    public void SshKeyResult_refuses_unknown_statuses_and_trailing_bytes_and_bounds_long_text()
    {
        byte[] body = new SshKeyResultMessage(SshKeyStatus.Declined, "no").ToBytes();
        Assert.False(SshKeyResultMessage.TryParse([.. body, 1], out _));
        body[0] = 4;
        Assert.False(SshKeyResultMessage.TryParse(body, out _));
        Assert.False(SshKeyResultMessage.TryParse([], out _));

        byte[] longText = new SshKeyResultMessage(SshKeyStatus.Refused, new string('é', 5000)).ToBytes();
        Assert.True(SshKeyResultMessage.TryParse(longText, out SshKeyResultMessage cut));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(cut.Text) <= SshKeyResultMessage.MaxTextBytes);
    }
}
