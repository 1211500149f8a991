// Resource use of the relay process from /proc (Linux): peak and current RSS (VmHWM, VmRSS)
// and CPU seconds (utime + stime of /proc/PID/stat, in clock ticks of 100 Hz).
using System.Globalization;

namespace Tallow.Bench.RelayLoad;

internal sealed record RelayProcStats(long PeakRssKiB, long RssKiB, double CpuSeconds)
{
    private const double ClockTicksPerSecond = 100;

    public static RelayProcStats? Read(int pid)
    {
        try
        {
            long hwm = 0, rss = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = KiB(line);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = KiB(line);
                }
            }

            // Fields after the command name (which may contain spaces) start at state (field 3); utime is 14, stime 15.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
            return new RelayProcStats(hwm, rss, cpu);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long KiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"peak RSS {PeakRssKiB / 1024.0:0.0} MiB (now {RssKiB / 1024.0:0.0} MiB), CPU {CpuSeconds:0.00} s");
}
