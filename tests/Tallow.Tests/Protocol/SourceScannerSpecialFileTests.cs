// Pipes, sockets and devices are never offered as files: opening a pipe would block the send
// forever (and a device has no end). They are skipped with a notice, inside folders and when
// named on the command line.
using System.Diagnostics;
using System.Net.Sockets;
using Tallow.Protocol;
using Tallow.Protocol.Transfer;
using Tallow.Wire;

namespace Tallow.Tests.Protocol;

public class SourceScannerSpecialFileTests
{
    private static void MakeFifo(string path)
    {
        using Process mkfifo = Process.Start("mkfifo", [path])!;
        Assert.True(mkfifo.WaitForExit(10_000));
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Fact]
    public void Pipes_and_sockets_inside_a_folder_are_skipped_with_a_notice()
    {
        using var dir = new TempDir();
        string top = dir.Combine("top");
        Directory.CreateDirectory(top);
        File.WriteAllText(Path.Combine(top, "a.txt"), "hello");
        MakeFifo(Path.Combine(top, "pipe"));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(top, "sock")));
        File.CreateSymbolicLink(Path.Combine(top, "to-pipe"), Path.Combine(top, "pipe"));

        var notices = new List<string>();
        SourcePlan plan = SourceScanner.Scan([top], 64 * 1024, followSymlinks: true, notices.Add);

        Assert.Equal(["top", "top/a.txt"], plan.Offer.Entries.Select(e => e.Path).Order().ToArray());
        Assert.Equal(EntryType.File, plan.Offer.Entries.Single(e => e.Path == "top/a.txt").Type);
        Assert.Equal(3, notices.Count(n => n.Contains("not a regular file", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_pipe_named_on_the_command_line_is_skipped_and_alone_is_nothing_to_send()
    {
        using var dir = new TempDir();
        string pipe = dir.Combine("pipe");
        MakeFifo(pipe);
        string file = dir.Combine("b.bin");
        File.WriteAllBytes(file, new byte[100]);

        var notices = new List<string>();
        SourcePlan plan = SourceScanner.Scan([pipe, file], 64 * 1024, followSymlinks: false, notices.Add);
        Assert.Equal(["b.bin"], plan.Offer.Entries.Select(e => e.Path).ToArray());
        Assert.Contains(notices, n => n.Contains("tallow send -", StringComparison.Ordinal));

        var ex = Assert.Throws<TallowException>(() => SourceScanner.Scan([pipe], 64 * 1024, false, _ => { }));
        Assert.Contains("nothing to send", ex.Message, StringComparison.Ordinal);
    }
}
