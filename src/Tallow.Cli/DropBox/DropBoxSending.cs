// `tallow send FILES --to CODE`: the sender's side of a drop box (protocol.md "Drop box"). It
// joins the routing room of the code, pairs with member 0 only (the drop box; other senders'
// streams are discarded: a sender never talks to another), checks that member 0 is a drop box,
// and sends the files over that pair's record session as `tallow send` does: same progress, same
// summary, same exit codes (6 for a wrong code). Then it leaves the room.
using System.CommandLine;
using System.Text;
using System.Threading.Channels;
using Tallow.Cli.Commands;
using Tallow.Cli.Output;
using Tallow.Net;
using Tallow.Net.Room;
using Tallow.Protocol;
using Tallow.Protocol.Records;
using Tallow.Protocol.Transfer;
using Tallow.Protocol.Transfer.Compression;
using Tallow.Wire;

namespace Tallow.Cli.DropBox;

internal static class DropBoxSending
{
    /// <summary>How long the sender gets to tell the drop box it is done.</summary>
    private static readonly TimeSpan LeaveGrace = TimeSpan.FromSeconds(2);

    /// <summary>Sends <paramref name="plan"/> to the drop box of <paramref name="code"/>.</summary>
    public static async Task<TransferSummary> SendAsync(ParseResult result, CommonOptions common, Reporter reporter, string code, SourcePlan plan, CompressionMode compression, RateLimiter? throttle, CancellationToken ct)
    {
        await using OpenRoom room = await JoinAsync(result, common, reporter, code, ct).ConfigureAwait(false);
        RoutedStream box = DropBoxStream(room.Connection);
        _ = DiscardOthersAsync(room.Connection.Events, ct); // ends with the room connection
        byte[] password = Encoding.UTF8.GetBytes(room.Code);
        RoomPeer peer;
        try
        {
            peer = await RoomPeer.ConnectAsync(box, room.Connection.Self, weInitiate: true, password, room.Connection.Nameplate, SenderName(), new RoomPeerOptions(), ct).ConfigureAwait(false);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(password);
        }

        await using (peer.ConfigureAwait(false))
        {
            if (peer.Name != DropBoxHost.PeerName)
            {
                throw new TallowException(FailureKind.Usage, "this code belongs to a chat room, not a drop box: join it with 'tallow chat', or ask for the drop box's code.");
            }

            reporter.Event("peer_connected");
            reporter.Info("Connected to the drop box; secure session established.");
            peer.Records.Channel.SendThrottle = throttle;
            var sender = new TransferSender(peer.Records.Port(RecordGroup.OutgoingTransfer), reporter, compression);
            TransferSummary sent;
            try
            {
                sent = await sender.SendFilesAsync(plan.Offer, plan.LocalPaths, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await LeaveAsync(peer, "cancelled by the sender").ConfigureAwait(false);
                throw;
            }
            finally
            {
                reporter.FinishProgress();
            }

            await LeaveAsync(peer, "sent").ConfigureAwait(false);
            return sent;
        }
    }

    /// <summary>Joins the drop box's room; the relay's "full" and "admits no one" say what they mean for a drop box.</summary>
    private static async Task<OpenRoom> JoinAsync(ParseResult result, CommonOptions common, Reporter reporter, string code, CancellationToken ct)
    {
        try
        {
            return await SessionSetup.JoinDropBoxAsync(result, common, reporter, code, ct).ConfigureAwait(false);
        }
        catch (TallowException e) when (e.InnerException is RelayException { Kind: RelayFailureKind.RoomFull } full)
        {
            throw new TallowException(FailureKind.Network, full.Message.Contains("is full", StringComparison.Ordinal)
                ? "the drop box is busy with as many senders as it takes at once: try again in a moment."
                : "the drop box takes no transfers any more (it stopped after attempts with a wrong code): ask for a new code.", e);
        }
    }

    /// <summary>Member 0's stream, announced on entry (the room's creator); a room without it has no drop box any more.</summary>
    private static RoutedStream DropBoxStream(RoomConnection connection)
    {
        for (int i = 0; i < connection.InitialMembers && connection.Events.TryRead(out RoomEvent news); i++)
        {
            if (news is { Kind: RoomEventKind.Joined, Member: 0, Stream: RoutedStream box })
            {
                return box;
            }

            news.Stream?.Discard();
        }

        throw new TallowException(FailureKind.Network, "the drop box of this code is no longer there (its room is left with senders only): ask for a new code.");
    }

    /// <summary>Later joiners are other senders: nothing to say to them.</summary>
    private static async Task DiscardOthersAsync(ChannelReader<RoomEvent> events, CancellationToken ct)
    {
        try
        {
            await foreach (RoomEvent news in events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                news.Stream?.Discard();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TallowException or ChannelClosedException)
        {
            // The room connection ended: the transfer reports it.
        }
    }

    private static async Task LeaveAsync(RoomPeer peer, string reason)
    {
        using var grace = new CancellationTokenSource(LeaveGrace);
        try
        {
            await peer.LeaveAsync(reason, grace.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TallowException or IOException)
        {
            // The drop box has the files verified already, or will see the connection end.
        }
    }

    /// <summary>The name the drop box logs the transfer under (its folder's name too): the user name.</summary>
    private static string SenderName()
    {
        string user = Environment.UserName;
        return RoomHelloMessage.IsValidName(user) ? user : "sender";
    }
}
