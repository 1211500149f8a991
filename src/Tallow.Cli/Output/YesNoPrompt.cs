// One yes/no question on the terminal (stderr), answered by a line on stdin: "y" or "yes" is
// yes, anything else (an empty line, end of input) is no. Callers check the terminal first.
namespace Tallow.Cli.Output;

internal static class YesNoPrompt
{
    public static async Task<bool> AskAsync(string question, CancellationToken ct)
    {
        Console.Error.Write(question + " [y/N] ");
        string answer = (await ReadLineAsync(ct).ConfigureAwait(false))?.Trim() ?? string.Empty;
        return answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A line from stdin (null at its end); Ctrl-C cancels the wait.</summary>
    public static Task<string?> ReadLineAsync(CancellationToken ct) => Task.Run(Console.ReadLine, ct).WaitAsync(ct);
}
