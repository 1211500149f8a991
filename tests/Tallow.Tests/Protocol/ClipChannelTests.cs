// The clipboard part of a session (protocol.md "Clipboard") over a real SecureChannel pair:
// content larger than a piece arrives whole, answers interleave with pieces, content over the
// receiver's limit is refused without breaking what follows, and pieces that do not add up stop
// the session's clipboard with a protocol error. Plus the echo-loop rule of --watch (ClipEchoGuard).
using System.Security.Cryptography;
using Tallow.Protocol;
using Tallow.Protocol.Clip;
using Tallow.Protocol.Session;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class ClipChannelTests
{
    [Fact]
    public async Task Content_of_several_pieces_arrives_whole_and_answers_flow_back()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var a = new ClipChannel(pair.InitiatorRecords.Port(RecordGroup.Clip));
        var b = new ClipChannel(pair.ResponderRecords.Port(RecordGroup.Clip));
        byte[] image = RandomNumberGenerator.GetBytes((3 * ClipChannel.PieceSize) + 17);

        Task send = a.SendAsync(new ClipContent("image/png", image), CancellationToken.None);
        ClipIncoming incoming = await b.ReceiveAsync(16 * 1024 * 1024, CancellationToken.None).WithTimeout();
        await send.WithTimeout();
        Assert.Equal("image/png", incoming.Content!.Type);
        Assert.Equal(SHA256.HashData(image), SHA256.HashData(incoming.Content.Bytes));

        await b.AnswerAsync(ClipAnswerStatus.Stored, string.Empty, CancellationToken.None).WithTimeout();
        ClipIncoming answer = await a.ReceiveAsync(16 * 1024 * 1024, CancellationToken.None).WithTimeout();
        Assert.Equal(ClipAnswerStatus.Stored, answer.Answer!.Value.Status);
    }

    [Fact]
    public async Task Content_over_the_receivers_limit_is_refused_and_the_next_one_still_arrives()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        var a = new ClipChannel(pair.InitiatorRecords.Port(RecordGroup.Clip));
        var b = new ClipChannel(pair.ResponderRecords.Port(RecordGroup.Clip));
        Task send = Task.Run(async () =>
        {
            await a.SendAsync(new ClipContent("image/png", new byte[(2 * ClipChannel.PieceSize) + 5]), CancellationToken.None);
            await a.SendAsync(new ClipContent(ClipMime.Text, "small"u8.ToArray()), CancellationToken.None);
        });

        ClipIncoming tooLarge = await b.ReceiveAsync(1000, CancellationToken.None).WithTimeout();
        Assert.Null(tooLarge.Content);
        Assert.Equal("image/png", tooLarge.TooLargeType);
        Assert.Equal((2 * ClipChannel.PieceSize) + 5, tooLarge.TooLargeSize);
        ClipIncoming next = await b.ReceiveAsync(1000, CancellationToken.None).WithTimeout();
        Assert.Equal("small"u8.ToArray(), next.Content!.Bytes);
        await send.WithTimeout();
    }

    [Theory]
    [InlineData(true, 10, 4)]   // final, but 6 bytes short
    [InlineData(false, 4, 4)]   // not final, yet every byte is there
    [InlineData(true, 3, 4)]    // more bytes than announced
    public async Task Pieces_that_do_not_add_up_are_a_protocol_error(bool final, uint total, int pieceLength)
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordPort raw = pair.InitiatorRecords.Port(RecordGroup.Clip);
        var b = new ClipChannel(pair.ResponderRecords.Port(RecordGroup.Clip));
        var header = new ClipPieceHeader(final ? ClipPieceFlags.Final : ClipPieceFlags.None, total, ClipMime.Text);
        byte[] body = new byte[header.Size + pieceLength];
        header.Write(body);
        await raw.SendAsync(RecordKind.ClipContent, body, CancellationToken.None);
        if (!final)
        {
            await raw.SendAsync(RecordKind.ClipContent, body, CancellationToken.None); // a second piece past the end
        }

        TallowException e = await Assert.ThrowsAsync<TallowException>(() => b.ReceiveAsync(1000, CancellationToken.None).WithTimeout());
        Assert.Contains("clipboard protocol", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_piece_of_another_type_inside_a_content_is_a_protocol_error()
    {
        await using ChannelPair pair = await ChannelPair.CreateAsync();
        RecordPort raw = pair.InitiatorRecords.Port(RecordGroup.Clip);
        var b = new ClipChannel(pair.ResponderRecords.Port(RecordGroup.Clip));
        foreach (string type in new[] { "image/png", "image/jpeg" })
        {
            var header = new ClipPieceHeader(ClipPieceFlags.None, 100, type);
            byte[] body = new byte[header.Size + 10];
            header.Write(body);
            await raw.SendAsync(RecordKind.ClipContent, body, CancellationToken.None);
        }

        await Assert.ThrowsAsync<TallowException>(() => b.ReceiveAsync(1000, CancellationToken.None).WithTimeout());
    }

    [Fact]
    public void The_echo_guard_does_not_send_back_what_was_received_but_sends_it_again_after_other_content()
    {
        var guard = new ClipEchoGuard();
        var fromPeer = new ClipContent(ClipMime.Text, "from the peer"u8.ToArray());
        var copiedHere = new ClipContent(ClipMime.Text, "copied here"u8.ToArray());
        Assert.True(guard.IsNew(fromPeer)); // nothing is shared yet

        guard.Remember(fromPeer); // received and stored: the next poll reads it back
        Assert.False(guard.IsNew(new ClipContent(ClipMime.Text, "from the peer"u8.ToArray())));
        Assert.True(guard.IsNew(copiedHere));

        guard.Remember(copiedHere); // sent
        Assert.False(guard.IsNew(copiedHere));
        Assert.True(guard.IsNew(fromPeer)); // copied again by the user: new content once more
    }

    [Fact]
    public void The_same_bytes_under_another_type_are_other_content()
    {
        var guard = new ClipEchoGuard();
        guard.Remember(new ClipContent("image/png", [1, 2, 3]));
        Assert.True(guard.IsNew(new ClipContent("image/jpeg", [1, 2, 3])));
        Assert.False(guard.IsNew(new ClipContent("image/png", [1, 2, 3])));
    }
}
