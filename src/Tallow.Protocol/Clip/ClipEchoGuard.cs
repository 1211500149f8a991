// The echo-loop rule of `tallow clip --watch` (protocol.md "Clipboard"): a side sends a content
// only when it differs from the last content both sides are known to hold, i.e. the one it last
// sent or last received. A content just received and written to the local clipboard reads back
// the same on the next poll, so it is never sent back; copying it again after something else
// was sent or received is new content and goes out.
namespace Tallow.Protocol.Clip;

public sealed class ClipEchoGuard
{
    private readonly Lock _lock = new();
    private byte[]? _shared;

    /// <summary>True when <paramref name="content"/> is not what both sides already hold.</summary>
    public bool IsNew(ClipContent content)
    {
        byte[] fingerprint = content.Fingerprint();
        lock (_lock)
        {
            return _shared is null || !_shared.AsSpan().SequenceEqual(fingerprint);
        }
    }

    /// <summary>Both sides now hold <paramref name="content"/> (this side sent it, or received and stored it).</summary>
    public void Remember(ClipContent content)
    {
        byte[] fingerprint = content.Fingerprint();
        lock (_lock)
        {
            _shared = fingerprint;
        }
    }
}
