// The chat room options of `tallow chat` (--multi, --capacity, --name), checked before anything
// goes on the network: --capacity only with --multi and within what a room takes, --multi never
// with a code (a code joins whatever it belongs to), a name the others can be shown.
using System.CommandLine;
using Tallow.Protocol;
using Tallow.Wire;

namespace Tallow.Cli.Chat;

internal sealed record RoomSettings(byte Capacity, string Name)
{
    public static RoomSettings? From(ParseResult result, Option<bool> multi, Option<int> capacity, Option<string?> name, bool joining)
    {
        bool isMulti = result.GetValue(multi);
        if (isMulti && joining)
        {
            throw new TallowException(FailureKind.Usage, "--multi opens a new room: leave it out to join one with a code (tallow chat CODE).");
        }

        if (!isMulti && result.GetResult(capacity) is { Implicit: false })
        {
            throw new TallowException(FailureKind.Usage, "--capacity goes with --multi (it sizes a new chat room).");
        }

        int size = result.GetValue(capacity);
        if (size < RoomProtocol.MinCapacity || size > RelayProtocol.MaxRoomCapacity)
        {
            throw new TallowException(FailureKind.Usage, $"--capacity must be between {RoomProtocol.MinCapacity} and {RelayProtocol.MaxRoomCapacity} (you included); for two people use tallow chat without --multi.");
        }

        string shown = (result.GetValue(name) ?? DefaultName()).Trim();
        if (!RoomHelloMessage.IsValidName(shown))
        {
            throw new TallowException(FailureKind.Usage, $"--name must be 1 to {RoomHelloMessage.MaxNameBytes} bytes of printable text.");
        }

        return isMulti || joining || result.GetResult(name) is { Implicit: false } ? new RoomSettings((byte)size, shown) : null;
    }

    private static string DefaultName()
    {
        string user = Environment.UserName;
        return RoomHelloMessage.IsValidName(user) ? user : "member";
    }
}
