// A frame-level chat-room member for the routing-room tests (docs/protocol.md "Chat rooms"):
// opens or joins a room with raw Allocate/Claim frames, sends Route/Ping/RoomClose and reads what
// the relay sends, asserting the frame types on the way.
using System.Net;
using System.Net.Sockets;
using Tallow.Relay;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

internal sealed class RoomMember : IAsyncDisposable
{
    private RoomMember(RawClient client, uint nameplate, RoomMembersMessage members)
    {
        Client = client;
        Nameplate = nameplate;
        Id = members.Self;
        OthersAtJoin = members.Others;
    }

    public RawClient Client { get; }

    public uint Nameplate { get; }

    public byte Id { get; }

    /// <summary>The ids RoomMembers listed when this member entered.</summary>
    public byte[] OthersAtJoin { get; }

    /// <summary>Allocates a chat room of <paramref name="capacity"/>; expects Opened then RoomMembers{0, none}.</summary>
    public static async Task<RoomMember> CreateAsync(RelayServer server, int capacity, CancellationToken token)
    {
        RawClient client = await ConnectAsync(server, token);
        await client.SendAsync(FrameType.Allocate, AllocatePayload(capacity), token);
        return await ExpectAdmittedAsync(client, token);
    }

    /// <summary>Claims <paramref name="nameplate"/>; expects Opened then RoomMembers. <paramref name="receiveBuffer"/> shrinks the socket's receive buffer.</summary>
    public static async Task<RoomMember> JoinAsync(RelayServer server, uint nameplate, CancellationToken token, int? receiveBuffer = null)
    {
        RawClient client = await ConnectAsync(server, token, receiveBuffer);
        await client.SendAsync(FrameType.Claim, ClaimPayload(nameplate), token);
        return await ExpectAdmittedAsync(client, token);
    }

    public static async Task<RawClient> ConnectAsync(RelayServer server, CancellationToken token, int? receiveBuffer = null)
    {
        RawClient client;
        if (receiveBuffer is int size)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = size };
            client = await RawClient.ConnectAsync(socket, server.LocalEndPoint, token);
        }
        else
        {
            client = await RawClient.ConnectAsync(server, token);
        }

        await client.HelloAsync(token);
        return client;
    }

    public static byte[] AllocatePayload(int capacity)
    {
        byte[] payload = new byte[AllocateMessage.Size];
        new AllocateMessage((byte)capacity, 0).Write(payload);
        return payload;
    }

    public static byte[] ClaimPayload(uint nameplate)
    {
        byte[] payload = new byte[NameplateMessage.Size];
        new NameplateMessage(nameplate).Write(payload);
        return payload;
    }

    private static async Task<RoomMember> ExpectAdmittedAsync(RawClient client, CancellationToken token)
    {
        (FrameType type, byte[] payload) = await client.ReadFrameAsync(token);
        Assert.True(type == FrameType.Opened, $"expected Opened, got {type} {ErrorText(type, payload)}");
        Assert.True(NameplateMessage.TryParse(payload, out NameplateMessage opened));
        (type, payload) = await client.ReadFrameAsync(token);
        Assert.Equal(FrameType.RoomMembers, type);
        Assert.True(RoomMembersMessage.TryParse(payload, out RoomMembersMessage members));
        return new RoomMember(client, opened.Nameplate, members);
    }

    private static string ErrorText(FrameType type, byte[] payload) =>
        type == FrameType.Error && ErrorMessage.TryParse(payload, out ErrorMessage error) ? $"{error.Code}: {error.Message}" : string.Empty;

    public ValueTask RouteAsync(byte to, byte[] payload, CancellationToken token) =>
        Client.SendRawAsync(RoutedFrame.Encode(FrameType.Route, to, payload), token);

    public ValueTask SendAsync(FrameType type, byte[] payload, CancellationToken token) => Client.SendAsync(type, payload, token);

    public Task<(FrameType Type, byte[] Payload)> ReadAsync(CancellationToken token) => Client.ReadFrameAsync(RoomProtocol.MaxFrameLength, token);

    /// <summary>Expects Routed and returns its stamped sender and payload.</summary>
    public async Task<(byte From, byte[] Payload)> ExpectRoutedAsync(CancellationToken token)
    {
        (FrameType type, byte[] payload) = await ReadAsync(token);
        Assert.Equal(FrameType.Routed, type);
        Assert.True(RoutedFrame.TryParse(payload, out byte from, out int offset));
        return (from, payload[offset..]);
    }

    /// <summary>Expects MemberJoined or MemberLeft (<paramref name="type"/>) and returns its id.</summary>
    public async Task<byte> ExpectMemberAsync(FrameType type, CancellationToken token)
    {
        (FrameType got, byte[] payload) = await ReadAsync(token);
        Assert.Equal(type, got);
        Assert.True(MemberIdMessage.TryParse(payload, out MemberIdMessage member));
        return member.Id;
    }

    public async Task<ErrorMessage> ExpectErrorThenCloseAsync(RelayErrorCode code, CancellationToken token) =>
        await Client.ExpectErrorThenCloseAsync(code, token);

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
