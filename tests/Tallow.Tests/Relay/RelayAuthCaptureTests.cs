// What the relay password exposes on a plaintext connection (issue: "the relay password is sent
// as HMAC(SHA-256(password), relay nonce) before the relay is authenticated"). A fake relay —
// which is also all a sniffer of a plaintext relay sees — asks the real client for the password
// and captures its Auth. The captured bytes must not be checkable against a candidate password:
// the v1 verifier HMAC-SHA256(SHA-256(candidate), nonce) appears nowhere in them, and two answers
// to the very same nonce and relay share differ, so nothing in them is a deterministic function
// of password and nonce. The fake relay speaks whichever version the client's Hello announces
// (v1: no share in the Welcome), so this test also runs, and fails, against the v1 client.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Tallow.Crypto;
using Tallow.Net;
using Tallow.Wire;

namespace Tallow.Tests.Relay;

public class RelayAuthCaptureTests
{
    private const string Password = "correct horse battery staple";
    private static readonly byte[] Nonce = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task A_captured_Auth_cannot_be_checked_against_the_password()
    {
        CancellationToken token = RelayTestKit.Deadline(20);

        // The fake relay's share belongs to its own guess; it answers every client with the same one.
        using CPaceSession fakeRelay = CPaceSession.Create("the fake relay's guess"u8, "any channel"u8, Nonce);
        byte[] first = await CaptureAuthAsync(fakeRelay.Share.ToArray(), token);
        byte[] second = await CaptureAuthAsync(fakeRelay.Share.ToArray(), token);

        byte[] v1Verifier = HMACSHA256.HashData(SHA256.HashData(Encoding.UTF8.GetBytes(Password)), Nonce);
        Assert.False(first.AsSpan().IndexOf(v1Verifier) >= 0, "the Auth contains HMAC(SHA-256(password), nonce): testable offline");
        Assert.False(second.AsSpan().IndexOf(v1Verifier) >= 0, "the Auth contains HMAC(SHA-256(password), nonce): testable offline");
        Assert.False(first.AsSpan().SequenceEqual(second), "the same password, nonce and relay share gave the same Auth twice");
        for (int offset = 0; offset + 16 <= first.Length; offset += 16)
        {
            Assert.True(second.AsSpan().IndexOf(first.AsSpan(offset, 16)) < 0, $"bytes {offset}..{offset + 15} of the Auth repeat across connections");
        }
    }

    [Fact]
    public async Task A_relay_share_that_is_not_a_valid_point_ends_the_handshake_without_an_Auth()
    {
        CancellationToken token = RelayTestKit.Deadline(20);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task<RelayConnection> client = RelayConnection.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, Password, RelayTestKit.ConnectTimeout, token);
        using Socket socket = await listener.AcceptSocketAsync(token);
        await using var stream = new NetworkStream(socket);
        using var reader = new FrameReader(stream, 4096);
        Assert.True((await reader.ReadAsync(Frame.MaxUnpairedLength, token)).IsFrame);
        await stream.WriteAsync(Frame.Encode(FrameType.Welcome, Welcome(RelayProtocol.Version, (IPEndPoint)socket.RemoteEndPoint!, new byte[32])), token);

        RelayException error = await Assert.ThrowsAsync<RelayException>(() => client);
        Assert.Equal(RelayFailureKind.Protocol, error.Kind);
        Assert.Contains("invalid password challenge", error.Message, StringComparison.Ordinal);
        Assert.True((await reader.ReadAsync(Frame.MaxUnpairedLength, token)).EndOfStream, "the client sent something after an invalid share");
    }

    /// <summary>Serves one client: Hello → Welcome (auth required, fixed nonce) → captures the Auth payload.</summary>
    private static async Task<byte[]> CaptureAuthAsync(byte[] relayShare, CancellationToken token)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task<RelayConnection> client = RelayConnection.ConnectAsync("127.0.0.1", port, Password, RelayTestKit.ConnectTimeout, token);

        using Socket socket = await listener.AcceptSocketAsync(token);
        await using var stream = new NetworkStream(socket);
        using var reader = new FrameReader(stream, 4096);
        FrameReadResult hello = await reader.ReadAsync(Frame.MaxUnpairedLength, token);
        Assert.True(hello.IsFrame && hello.Type == FrameType.Hello);
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(reader.CurrentPayload.Span[4..]);
        await stream.WriteAsync(Frame.Encode(FrameType.Welcome, Welcome(version, (IPEndPoint)socket.RemoteEndPoint!, relayShare)), token);

        FrameReadResult auth = await reader.ReadAsync(Frame.MaxUnpairedLength, token);
        Assert.True(auth.IsFrame && auth.Type == FrameType.Auth, $"expected Auth, got {auth}");
        byte[] captured = reader.CurrentPayload.ToArray();
        await using (await client)
        {
            return captured;
        }
    }

    /// <summary>Welcome{version, observed, nonce, auth_required = 1, probe port 0[, share from v2 on]}, written field by field.</summary>
    private static byte[] Welcome(ushort version, IPEndPoint observed, byte[] relayShare)
    {
        byte[] buffer = new byte[256];
        var w = new SpanWriter(buffer);
        w.WriteUInt16(version);
        EndpointCodec.Write(ref w, observed);
        w.WriteBytes(Nonce);
        w.WriteByte(1);
        w.WriteUInt16(0);
        if (version >= 2)
        {
            w.WriteBytes(relayShare);
        }

        return buffer[..w.Written];
    }
}
