// BLAKE3 over the first bytes of an open file, read in 1 MiB pieces through one pooled buffer:
// the receiver re-hashes the prefix of a part file before resuming it, the sender hashes a
// resumed file as a whole beside the stream that sends its rest.
using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Tallow.Protocol.Transfer;

internal static class FileHashing
{
    /// <summary>Adds the first <paramref name="length"/> bytes of <paramref name="handle"/> to <paramref name="hasher"/>; a file that ends early is an IOException.</summary>
    public static void HashPrefix(SafeFileHandle handle, long length, Blake3Hasher hasher, CancellationToken ct = default)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long position = 0;
            while (position < length)
            {
                ct.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, length - position)), position);
                if (read == 0)
                {
                    throw new IOException("the file ended early");
                }

                hasher.Update(buffer.AsSpan(0, read));
                position += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
