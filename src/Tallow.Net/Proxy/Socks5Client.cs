// SOCKS5 CONNECT client: RFC 1928 (greeting, request, reply) with RFC 1929 username/password.
// Destination names are sent to the proxy as ATYP domain (0x03) and never resolved locally;
// IPv4/IPv6 literals go as ATYP 0x01/0x04. Every read has an exact, bounded length (the longest
// reply is 4 + 1 + 255 + 2 bytes); truncated or malformed replies become a Socks5Exception,
// never another exception type. Credentials are zeroed after sending and never in a message.
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tallow.Net.Proxy;

public static class Socks5Client
{
    private const byte Version = 0x05;
    private const byte MethodNoAuth = 0x00;
    private const byte MethodUserPass = 0x02;
    private const byte MethodNoneAcceptable = 0xFF;
    private const byte CommandConnect = 0x01;
    private const byte AtypIPv4 = 0x01;
    private const byte AtypDomain = 0x03;
    private const byte AtypIPv6 = 0x04;

    /// <summary>Connects to <paramref name="proxy"/> and asks it to CONNECT to the destination; returns the tunnelled stream.</summary>
    public static Task<Stream> ConnectAsync(ProxyAddress proxy, string destinationHost, int destinationPort, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        NetworkCredential? credentials = proxy.HasCredentials ? new NetworkCredential(proxy.Username, proxy.Password) : null;
        return ConnectAsync(proxy.Host, proxy.Port, credentials, destinationHost, destinationPort, timeout, cancellationToken);
    }

    /// <summary>
    /// Connects to the proxy at <paramref name="proxyHost"/>:<paramref name="proxyPort"/>, authenticates when
    /// <paramref name="credentials"/> are given, and CONNECTs to the destination within <paramref name="timeout"/> in all.
    /// </summary>
    public static async Task<Stream> ConnectAsync(
        string proxyHost, int proxyPort, NetworkCredential? credentials, string destinationHost, int destinationPort, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(proxyHost);
        string proxy = proxyHost.Contains(':', StringComparison.Ordinal) ? $"[{proxyHost}]:{proxyPort}" : $"{proxyHost}:{proxyPort}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(proxyHost, proxyPort, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            string why = e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused: nothing is listening there",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "proxy host not found",
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => "unreachable",
                _ => e.SocketErrorCode.ToString(),
            };
            throw new Socks5Exception(Socks5FailureKind.Unreachable, $"cannot connect to the SOCKS5 proxy at {proxy} ({why}): check --proxy and that the proxy is running", null, e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new Socks5Exception(Socks5FailureKind.Timeout, $"the SOCKS5 proxy at {proxy} did not accept a connection within {timeout.TotalSeconds:0.#} s: check --proxy and your network", null, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await NegotiateAsync(stream, proxy, credentials, destinationHost, destinationPort, deadline.Token).ConfigureAwait(false);
            return stream;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new Socks5Exception(Socks5FailureKind.Timeout,
                $"the SOCKS5 proxy at {proxy} did not connect to {Display(destinationHost, destinationPort)} within {timeout.TotalSeconds:0.#} s: check the destination and the proxy", null, e);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs the SOCKS5 exchange on a stream already connected to the proxy (named <paramref name="proxy"/> in messages).
    /// On success the stream carries the destination's bytes. Failures are <see cref="Socks5Exception"/> (or cancellation).
    /// </summary>
    public static async Task NegotiateAsync(Stream stream, string proxy, NetworkCredential? credentials, string destinationHost, int destinationPort, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(destinationPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destinationPort, 65535);
        byte[] request = EncodeConnect(destinationHost, destinationPort); // validate before any byte is sent
        string destination = Display(destinationHost, destinationPort);
        byte[] reply = new byte[4 + 1 + 255 + 2];

        // Greeting (RFC 1928 §3): offer username/password only when we have them.
        byte[] greeting = credentials is null ? [Version, 1, MethodNoAuth] : [Version, 2, MethodNoAuth, MethodUserPass];
        await WriteAsync(stream, proxy, greeting, cancellationToken).ConfigureAwait(false);
        await ReadExactAsync(stream, proxy, reply.AsMemory(0, 2), "its greeting", cancellationToken).ConfigureAwait(false);
        if (reply[0] != Version)
        {
            throw new Socks5Exception(Socks5FailureKind.Protocol,
                $"{proxy} is not a SOCKS5 proxy (it answered with version byte 0x{reply[0]:x2}): check --proxy");
        }

        switch (reply[1])
        {
            case MethodNoAuth:
                break;
            case MethodUserPass when credentials is not null:
                await AuthenticateAsync(stream, proxy, credentials, reply, cancellationToken).ConfigureAwait(false);
                break;
            case MethodNoneAcceptable when credentials is null:
                throw new Socks5Exception(Socks5FailureKind.AuthRequired,
                    $"the SOCKS5 proxy at {proxy} requires authentication: give a username and password as socks5://user:pass@host:port");
            case MethodNoneAcceptable:
                throw new Socks5Exception(Socks5FailureKind.AuthFailed,
                    $"the SOCKS5 proxy at {proxy} accepts neither no authentication nor username/password authentication: check the proxy's configuration");
            default:
                throw new Socks5Exception(Socks5FailureKind.Protocol,
                    $"the SOCKS5 proxy at {proxy} chose authentication method 0x{reply[1]:x2}, which was not offered: check --proxy");
        }

        // CONNECT (RFC 1928 §4) and its reply (§6).
        await WriteAsync(stream, proxy, request, cancellationToken).ConfigureAwait(false);
        await ReadExactAsync(stream, proxy, reply.AsMemory(0, 2), "its reply to CONNECT", cancellationToken).ConfigureAwait(false);
        if (reply[0] != Version)
        {
            throw new Socks5Exception(Socks5FailureKind.Protocol,
                $"the SOCKS5 proxy at {proxy} sent a malformed reply (version byte 0x{reply[0]:x2})");
        }

        if (reply[1] != 0x00)
        {
            throw new Socks5Exception(Socks5FailureKind.Refused,
                $"the SOCKS5 proxy at {proxy} could not connect to {destination}: {Socks5Exception.DescribeReply(reply[1])}", reply[1]);
        }

        await ReadExactAsync(stream, proxy, reply.AsMemory(0, 2), "its reply to CONNECT", cancellationToken).ConfigureAwait(false);
        int rest = reply[1] switch
        {
            AtypIPv4 => 4 + 2,
            AtypIPv6 => 16 + 2,
            AtypDomain => -1,
            _ => throw new Socks5Exception(Socks5FailureKind.Protocol,
                $"the SOCKS5 proxy at {proxy} sent a malformed reply (address type 0x{reply[1]:x2})"),
        };
        if (rest < 0)
        {
            await ReadExactAsync(stream, proxy, reply.AsMemory(0, 1), "its reply to CONNECT", cancellationToken).ConfigureAwait(false);
            rest = reply[0] + 2;
        }

        await ReadExactAsync(stream, proxy, reply.AsMemory(0, rest), "its reply to CONNECT", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CONNECT request; hostnames go as ATYP domain, IP literals as IPv4/IPv6.</summary>
    internal static byte[] EncodeConnect(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        byte[] address;
        byte atyp;
        string bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IsIPv4Literal(bare) && IPAddress.TryParse(bare, out IPAddress? v4))
        {
            atyp = AtypIPv4;
            address = v4.GetAddressBytes();
        }
        else if (bare.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(bare, out IPAddress? v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
        {
            atyp = AtypIPv6;
            address = v6.GetAddressBytes();
        }
        else
        {
            atyp = AtypDomain;
            string ascii = bare.TrimEnd('.');
            if (!Ascii.IsValid(ascii))
            {
                throw new Socks5Exception(Socks5FailureKind.Protocol, $"the host name '{host}' must be written in ASCII (use its punycode xn-- form) to go through a proxy");
            }

            if (ascii.Length is 0 or > 255)
            {
                throw new Socks5Exception(Socks5FailureKind.Protocol, $"the host name '{host}' is too long for SOCKS5 (at most 255 characters)");
            }

            address = [(byte)ascii.Length, .. Encoding.ASCII.GetBytes(ascii)];
        }

        byte[] request = new byte[4 + address.Length + 2];
        request[0] = Version;
        request[1] = CommandConnect;
        request[2] = 0x00;
        request[3] = atyp;
        address.CopyTo(request, 4);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4 + address.Length), (ushort)port);
        return request;
    }

    private static async Task AuthenticateAsync(Stream stream, string proxy, NetworkCredential credentials, byte[] reply, CancellationToken cancellationToken)
    {
        // RFC 1929 §2: VER=1, ULEN, UNAME, PLEN, PASSWD; each 1..255 bytes.
        byte[] user = Encoding.UTF8.GetBytes(credentials.UserName);
        byte[] pass = Encoding.UTF8.GetBytes(credentials.Password);
        if (user.Length is 0 or > 255 || pass.Length is 0 or > 255)
        {
            CryptographicOperations.ZeroMemory(pass);
            throw new Socks5Exception(Socks5FailureKind.AuthFailed, "SOCKS5 user names and passwords must be 1 to 255 bytes long: check --proxy");
        }

        byte[] message = new byte[3 + user.Length + pass.Length];
        message[0] = 0x01;
        message[1] = (byte)user.Length;
        user.CopyTo(message, 2);
        message[2 + user.Length] = (byte)pass.Length;
        pass.CopyTo(message, 3 + user.Length);
        CryptographicOperations.ZeroMemory(pass);
        try
        {
            await WriteAsync(stream, proxy, message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
        }

        if (!await TryReadExactAsync(stream, reply.AsMemory(0, 2), cancellationToken).ConfigureAwait(false))
        {
            throw new Socks5Exception(Socks5FailureKind.AuthFailed,
                $"the SOCKS5 proxy at {proxy} closed the connection after the username and password (authentication failed?): check the credentials in --proxy / TALLOW_PROXY");
        }

        if (reply[0] is not (0x01 or Version))
        {
            throw new Socks5Exception(Socks5FailureKind.Protocol,
                $"the SOCKS5 proxy at {proxy} sent a malformed authentication reply (version byte 0x{reply[0]:x2})");
        }

        if (reply[1] != 0x00)
        {
            throw new Socks5Exception(Socks5FailureKind.AuthFailed,
                $"the SOCKS5 proxy at {proxy} rejected the username or password (authentication failed): check the credentials in --proxy / TALLOW_PROXY");
        }
    }

    private static bool IsIPv4Literal(string s)
    {
        int dots = 0;
        foreach (char c in s)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return dots == 3;
    }

    private static string Display(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    private static async Task WriteAsync(Stream stream, string proxy, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new Socks5Exception(Socks5FailureKind.Unreachable, $"the connection to the SOCKS5 proxy at {proxy} broke: check that the proxy is running", null, e);
        }
        catch (ObjectDisposedException e)
        {
            throw new Socks5Exception(Socks5FailureKind.Unreachable, $"the connection to the SOCKS5 proxy at {proxy} was closed", null, e);
        }
    }

    private static async Task ReadExactAsync(Stream stream, string proxy, Memory<byte> buffer, string what, CancellationToken cancellationToken)
    {
        if (!await TryReadExactAsync(stream, buffer, cancellationToken).ConfigureAwait(false))
        {
            throw new Socks5Exception(Socks5FailureKind.Protocol,
                $"the SOCKS5 proxy at {proxy} closed the connection in the middle of {what}: check that --proxy names a SOCKS5 proxy");
        }
    }

    /// <summary>False on end of stream or a broken connection before <paramref name="buffer"/> is full.</summary>
    private static async Task<bool> TryReadExactAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) == buffer.Length;
        }
        catch (IOException)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
