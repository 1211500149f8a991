// A chat room as `tallow chat` holds it before ChatRoom runs it: the room connection, the code
// (the password of every pair's handshake: kept only until ChatRoom copied it), and on the
// creator's side what the room runs on (an embedded relay, an mDNS announcement).
using Tallow.Cli.Hosting;
using Tallow.Net.Discovery;
using Tallow.Net.Room;

namespace Tallow.Cli.Commands;

internal sealed class OpenRoom(RoomConnection connection, string code, EmbeddedRelay? embedded, MdnsAnnouncer? announcer) : IAsyncDisposable
{
    public RoomConnection Connection => connection;

    public string Code => code;

    /// <summary>The built-in relay this side runs the room on (a drop box reopens its room there), or null.</summary>
    public Tallow.Net.Session.RelayAddress? EmbeddedRelay => embedded?.Local;

    /// <summary>
    /// Lets this room be opened again on the built-in relay, which otherwise serves one room in its
    /// lifetime (a drop box whose room the relay ended after its unpaired timeout).
    /// </summary>
    public void PermitReopen() => embedded?.PermitResumedRooms([connection.Nameplate]);

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync().ConfigureAwait(false);
        if (announcer is not null)
        {
            await announcer.DisposeAsync().ConfigureAwait(false);
        }

        if (embedded is not null)
        {
            await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }
}
