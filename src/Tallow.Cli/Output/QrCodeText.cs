// A QR code drawn with text (`tallow send --qr`): QRCoder's core generator gives the module
// matrix (with its 4-module quiet zone; no renderer of QRCoder is used, so nothing needs
// reflection or System.Drawing under NativeAOT), and each character row shows two module rows
// with Unicode half blocks (▀ top, ▄ bottom, █ both). Dark modules are the characters' ink;
// on a terminal every row is painted black on white, so a dark-themed terminal shows the code
// the right way round (scanners expect dark on light). Parse is the exact inverse, for tests.
using System.Text;
using QRCoder;

namespace Tallow.Cli.Output;

internal static class QrCodeText
{
    private const char Both = '█';
    private const char Top = '▀';
    private const char Bottom = '▄';
    private const char Neither = ' ';
    private const string BlackOnWhite = "\u001b[30;107m";
    private const string ResetColours = "\u001b[0m";

    /// <summary>The modules of <paramref name="text"/>'s QR code (true = dark), quiet zone included; [row, column].</summary>
    public static bool[,] Modules(string text)
    {
        using var generator = new QRCodeGenerator();
        using QRCodeData data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        int size = data.ModuleMatrix.Count;
        var modules = new bool[size, size];
        for (int row = 0; row < size; row++)
        {
            for (int column = 0; column < size; column++)
            {
                modules[row, column] = data.ModuleMatrix[row][column];
            }
        }

        return modules;
    }

    /// <summary>Character rows, two module rows each (an odd last row gets a light one below); <paramref name="colours"/> paints them black on white.</summary>
    public static IReadOnlyList<string> Render(bool[,] modules, bool colours)
    {
        int rows = modules.GetLength(0);
        int columns = modules.GetLength(1);
        var lines = new List<string>((rows + 1) / 2);
        for (int row = 0; row < rows; row += 2)
        {
            var line = new StringBuilder(columns + 16);
            if (colours)
            {
                line.Append(BlackOnWhite);
            }

            for (int column = 0; column < columns; column++)
            {
                bool top = modules[row, column];
                bool bottom = row + 1 < rows && modules[row + 1, column];
                line.Append(top ? (bottom ? Both : Top) : (bottom ? Bottom : Neither));
            }

            if (colours)
            {
                line.Append(ResetColours);
            }

            lines.Add(line.ToString());
        }

        return lines;
    }

    /// <summary>The modules drawn by <see cref="Render"/> (colours ignored); null when a row holds anything else or the rows differ in width.</summary>
    public static bool[,]? Parse(IReadOnlyList<string> lines)
    {
        var rows = new List<string>(lines.Count);
        foreach (string line in lines)
        {
            rows.Add(line.Replace(BlackOnWhite, string.Empty, StringComparison.Ordinal).Replace(ResetColours, string.Empty, StringComparison.Ordinal));
        }

        if (rows.Count == 0 || rows.Any(r => r.Length != rows[0].Length))
        {
            return null;
        }

        var modules = new bool[rows.Count * 2, rows[0].Length];
        for (int i = 0; i < rows.Count; i++)
        {
            for (int column = 0; column < rows[i].Length; column++)
            {
                char drawn = rows[i][column];
                if (drawn is not (Both or Top or Bottom or Neither))
                {
                    return null;
                }

                modules[2 * i, column] = drawn is Both or Top;
                modules[(2 * i) + 1, column] = drawn is Both or Bottom;
            }
        }

        return modules;
    }
}
