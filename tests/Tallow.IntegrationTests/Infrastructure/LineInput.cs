// Stdin for a long-running `tallow` process (chat): lines are written when the test says so, and
// stdin closes (end of input) when the test completes it. Pass PumpAsync as TallowProcess's stdin.
using System.Text;
using System.Threading.Channels;

namespace Tallow.IntegrationTests.Infrastructure;

public sealed class LineInput
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    public void Send(string line) => _lines.Writer.TryWrite(line);

    /// <summary>Ends the input: the process sees the end of stdin.</summary>
    public void Close() => _lines.Writer.TryComplete();

    public async Task PumpAsync(Stream stdin)
    {
        await foreach (string line in _lines.Reader.ReadAllAsync())
        {
            await stdin.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            await stdin.FlushAsync();
        }
    }
}
