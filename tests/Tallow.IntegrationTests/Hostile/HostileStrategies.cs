// Tampering strategies for HostileRelay. Record indexes count Record frames (type 0x20) per
// direction from 1: with a file of N chunks the sender's records are Offer (1), Data (2..N+1),
// FileDone (N+2), End (N+3).
using Tallow.Wire;

namespace Tallow.IntegrationTests.Hostile;

/// <summary>Replaces the CPace share of Init (Ya) or Response (Yb) with 32 zero bytes: the identity point's encoding.</summary>
public sealed class IdentityShareStrategy(FrameType target) : HostileStrategy
{
    public int Tampered { get; private set; }

    public override ValueTask<Verdict> OnFrameAsync(RelayedFrame frame, CancellationToken ct)
    {
        if (frame.Type != target)
        {
            return ValueTask.FromResult(Verdict.Forward(frame));
        }

        byte[] copy = (byte[])frame.Bytes.Clone();
        int offset = Frame.HeaderSize + (target == FrameType.HandshakeInit ? HandshakeLayout.InitShareOffset : HandshakeLayout.ResponseShareOffset);
        copy.AsSpan(offset, HandshakeLayout.ShareSize).Clear();
        Tampered++;
        return ValueTask.FromResult(new Verdict([copy]));
    }
}

/// <summary>Rewrites one record (by index, in one direction) with a caller-given mutation.</summary>
public sealed class MutateRecordStrategy(Direction direction, int index, Func<byte[], byte[]> mutate) : HostileStrategy
{
    public int Tampered { get; private set; }

    public override ValueTask<Verdict> OnFrameAsync(RelayedFrame frame, CancellationToken ct)
    {
        if (frame.Direction != direction || frame.RecordIndex != index)
        {
            return ValueTask.FromResult(Verdict.Forward(frame));
        }

        Tampered++;
        return ValueTask.FromResult(new Verdict([mutate((byte[])frame.Bytes.Clone())]));
    }
}

public enum RecordFault
{
    Drop,
    Duplicate,
    SwapWithNext,
    CloseBefore,
}

/// <summary>Drops, replays, reorders a record, or closes everything instead of forwarding it.</summary>
public sealed class RecordFaultStrategy(Direction direction, int index, RecordFault fault) : HostileStrategy
{
    private byte[]? _held;

    public int Applied { get; private set; }

    public override ValueTask<Verdict> OnFrameAsync(RelayedFrame frame, CancellationToken ct)
    {
        if (frame.Direction != direction || frame.RecordIndex == 0)
        {
            return ValueTask.FromResult(Verdict.Forward(frame));
        }

        if (frame.RecordIndex == index)
        {
            Applied++;
            switch (fault)
            {
                case RecordFault.Drop:
                    return ValueTask.FromResult(Verdict.Drop);
                case RecordFault.Duplicate:
                    return ValueTask.FromResult(new Verdict([frame.Bytes, frame.Bytes]));
                case RecordFault.SwapWithNext:
                    _held = frame.Bytes;
                    return ValueTask.FromResult(Verdict.Drop);
                case RecordFault.CloseBefore:
                    return ValueTask.FromResult(Verdict.Close);
            }
        }

        if (_held is not null && frame.RecordIndex == index + 1)
        {
            byte[] held = _held;
            _held = null;
            return ValueTask.FromResult(new Verdict([frame.Bytes, held]));
        }

        return ValueTask.FromResult(Verdict.Forward(frame));
    }
}

/// <summary>
/// Two rooms: lets both handshakes finish (Confirm forwarded in both), then crosses the streams:
/// every record room 0's sender sends goes to room 1's receiver and vice versa (both directions).
/// </summary>
public sealed class SpliceStrategy(Func<IReadOnlyList<HostileRoom>> rooms) : HostileStrategy
{
    private readonly TaskCompletionSource _bothConfirmed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _confirms;
    private volatile bool _crossed;

    public bool Crossed => _crossed;

    public override async ValueTask<Verdict> OnFrameAsync(RelayedFrame frame, CancellationToken ct)
    {
        if (frame.Type == FrameType.Record)
        {
            await _bothConfirmed.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        }

        return Verdict.Forward(frame);
    }

    public override void OnForwarded(RelayedFrame frame)
    {
        if (frame.Type == FrameType.HandshakeConfirm && Interlocked.Increment(ref _confirms) == 2)
        {
            _crossed = true;
            _bothConfirmed.TrySetResult();
        }
    }

    public override HostileRoom Route(HostileRoom room, Direction direction)
    {
        if (!_crossed)
        {
            return room;
        }

        IReadOnlyList<HostileRoom> all = rooms();
        return all.Count == 2 ? all[room == all[0] ? 1 : 0] : room;
    }
}

/// <summary>Lies about the roles in Paired: both peers get the same index.</summary>
public sealed class SameRoleStrategy(byte index) : HostileStrategy
{
    public override byte PairedIndex(bool joiner) => index;
}
