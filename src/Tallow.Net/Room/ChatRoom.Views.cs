// Consistent view (protocol.md "Chat rooms"): on every change each member sends the others, over
// its pairs, the ids it is joined with (RoomView). A relay that shows members different rooms —
// hides a member from some, or splits the room — cannot forge these, so once both lists have been
// still for ViewSettle and still differ, the difference is reported, once per member and list.
using Tallow.Wire;

namespace Tallow.Net.Room;

public sealed partial class ChatRoom
{
    private static readonly TimeSpan ViewSettle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ViewCheckInterval = TimeSpan.FromSeconds(2);

    private readonly Dictionary<byte, (RoomMember Member, byte[] Ids, long At)> _theirViews = [];
    private readonly HashSet<string> _viewWarnings = [];
    private readonly Timer _viewTimer;
    private long _viewChangedAt = Environment.TickCount64;

    private void ViewChanged()
    {
        Volatile.Write(ref _viewChangedAt, Environment.TickCount64);
        _ = SendViewAsync(_lifetime.Token);
    }

    private void ViewReceived(RoomMember member, byte[] ids)
    {
        lock (_theirViews)
        {
            _theirViews[member.Id] = (member, ids, Environment.TickCount64);
        }
    }

    private void CheckViews()
    {
        long now = Environment.TickCount64;
        if (now - Volatile.Read(ref _viewChangedAt) < ViewSettle.TotalMilliseconds)
        {
            return;
        }

        HashSet<byte> mine = [.. CurrentView()];
        List<(RoomMember Member, byte[] Ids)> differing = [];
        lock (_theirViews)
        {
            foreach (byte gone in _theirViews.Keys.Where(id => !mine.Contains(id)).ToList())
            {
                _theirViews.Remove(gone);
            }

            differing.AddRange(_theirViews.Values
                .Where(v => now - v.At >= ViewSettle.TotalMilliseconds && !mine.SetEquals(v.Ids))
                .Select(v => (v.Member, v.Ids)));
        }

        foreach ((RoomMember member, byte[] ids) in differing)
        {
            string key = $"{member.Id}:{Convert.ToHexString(ids)}";
            bool first;
            lock (_viewWarnings)
            {
                first = _viewWarnings.Add(key);
            }

            if (first)
            {
                _observer.Warning(DescribeDifference(member, mine, ids));
            }
        }
    }

    private static string DescribeDifference(RoomMember member, HashSet<byte> mine, byte[] theirs)
    {
        string onlyThem = string.Join(", ", theirs.Where(id => !mine.Contains(id)).Select(id => $"#{id}"));
        string onlyMe = string.Join(", ", mine.Where(id => !theirs.Contains(id)).Select(id => $"#{id}"));
        string detail = (onlyThem.Length > 0 ? $"{member.Name} is in the room with {onlyThem}, whom this side does not see" : string.Empty)
            + (onlyThem.Length > 0 && onlyMe.Length > 0 ? "; " : string.Empty)
            + (onlyMe.Length > 0 ? $"{member.Name} does not see {onlyMe}" : string.Empty);
        return $"member lists differ: {detail}. The relay may be showing members different rooms.";
    }
}
