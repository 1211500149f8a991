// The dispatch table (protocol.md "Record kinds"): every kind this version sends has exactly one
// owner, only content is bulk, and the flow-controlled kinds are exactly those of their stream.
using Tallow.Wire;

namespace Tallow.Tests.Wire;

public class RecordRoutesTests
{
    [Fact]
    public void Every_defined_kind_has_an_owner_and_unknown_kinds_have_none()
    {
        foreach (RecordKind kind in Enum.GetValues<RecordKind>())
        {
            Assert.True(RecordRoutes.TryGetGroup(kind, out _), $"{kind} has no owner");
        }

        foreach (byte value in new byte[] { 0, 36, 99, 255 })
        {
            Assert.False(RecordRoutes.TryGetGroup((RecordKind)value, out _));
        }
    }

    [Theory]
    [InlineData(RecordKind.Offer, RecordGroup.IncomingTransfer)]
    [InlineData(RecordKind.Cancel, RecordGroup.IncomingTransfer)]
    [InlineData(RecordKind.FileBatch, RecordGroup.IncomingTransfer)]
    [InlineData(RecordKind.Resend, RecordGroup.OutgoingTransfer)]
    [InlineData(RecordKind.ReceiverCancel, RecordGroup.OutgoingTransfer)]
    [InlineData(RecordKind.P2PSwitched, RecordGroup.Path)]
    [InlineData(RecordKind.WindowUpdate, RecordGroup.Session)]
    [InlineData(RecordKind.ChatMessage, RecordGroup.Chat)]
    [InlineData(RecordKind.SyncRound, RecordGroup.Sync)]
    [InlineData(RecordKind.SyncData, RecordGroup.Sync)]
    [InlineData(RecordKind.SyncStop, RecordGroup.Sync)]
    [InlineData(RecordKind.SafetyCheck, RecordGroup.Safety)]
    [InlineData(RecordKind.RoomHello, RecordGroup.Room)]
    [InlineData(RecordKind.RoomView, RecordGroup.Room)]
    [InlineData(RecordKind.SshKey, RecordGroup.Ssh)]
    [InlineData(RecordKind.SshKeyResult, RecordGroup.Ssh)]
    [InlineData(RecordKind.ClipContent, RecordGroup.Clip)]
    [InlineData(RecordKind.ClipAnswer, RecordGroup.Clip)]
    public void Kinds_go_to_the_part_that_owns_them(RecordKind kind, RecordGroup group)
    {
        Assert.True(RecordRoutes.TryGetGroup(kind, out RecordGroup actual));
        Assert.Equal(group, actual);
    }

    [Fact]
    public void A_flow_controlled_kind_belongs_to_the_group_whose_inbox_grants_its_window()
    {
        foreach (RecordKind kind in Enum.GetValues<RecordKind>())
        {
            RecordRoutes.TryGetGroup(kind, out RecordGroup group);
            FlowStream? stream = RecordRoutes.StreamOf(kind);
            FlowStream? expected = group switch
            {
                RecordGroup.IncomingTransfer when kind is not (RecordKind.Offer or RecordKind.Cancel) => FlowStream.Transfer,
                RecordGroup.Chat => FlowStream.Chat,
                RecordGroup.Sync when kind is not (RecordKind.SyncRound or RecordKind.SyncApplied or RecordKind.SyncStop) => FlowStream.Sync,
                RecordGroup.Clip when kind is RecordKind.ClipContent => FlowStream.Clip,
                _ => null,
            };
            Assert.Equal(expected, stream);
            Assert.Equal(kind is RecordKind.Data or RecordKind.DataZstd or RecordKind.FileBatch or RecordKind.SyncData or RecordKind.ClipContent, RecordRoutes.IsBulk(kind));
        }
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 0, 9 }, true)]
    [InlineData(new byte[] { 2, 0, 1, 0, 0 }, true)]
    [InlineData(new byte[] { 0, 0, 0, 0, 9 }, false)] // no stream 0
    [InlineData(new byte[] { 3, 0, 0, 0, 9 }, true)] // the sync stream
    [InlineData(new byte[] { 4, 0, 0, 0, 9 }, true)] // the clipboard stream
    [InlineData(new byte[] { 5, 0, 0, 0, 9 }, false)]
    [InlineData(new byte[] { 1, 0, 0, 0, 0 }, false)] // a zero grant
    [InlineData(new byte[] { 1, 0, 0, 0 }, false)]
    [InlineData(new byte[] { 1, 0, 0, 0, 9, 0 }, false)]
    public void WindowUpdate_parses_only_well_formed_bodies(byte[] body, bool valid) =>
        Assert.Equal(valid, WindowUpdateMessage.TryParse(body, out _));

    [Fact]
    public void ChatMessage_round_trips_and_rejects_oversized_or_trailing_bytes()
    {
        var message = new ChatTextMessage(1_796_000_000_123, "héllo ✓");
        byte[] body = new byte[message.GetSize()];
        message.Write(body);
        Assert.True(ChatTextMessage.TryParse(body, out ChatTextMessage back));
        Assert.Equal(message, back);
        Assert.False(ChatTextMessage.TryParse([.. body, 0], out _));
        Assert.False(ChatTextMessage.TryParse(body.AsSpan(0, 9), out _));

        var huge = new ChatTextMessage(0, new string('x', ChatTextMessage.MaxTextBytes + 1));
        byte[] hugeBody = new byte[huge.GetSize()];
        huge.Write(hugeBody);
        Assert.False(ChatTextMessage.TryParse(hugeBody, out _));
    }
}
