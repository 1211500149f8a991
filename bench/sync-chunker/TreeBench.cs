// sync-chunker tree [files]: what a receiver pays to know its mirror before a sync. Writes a tree
// of N small files (default 100,000, 1–8 KiB each, 100 a folder) in the temp folder, then times
// LocalChunkStore.Build with an empty cache (every file read and chunked), ChunkCache.Save, Load,
// and Build again with the loaded cache (every file a cache hit: one statx each). Deleted at the end.
// Prints wall and CPU time (user + system of this process: less sensitive to other load) per step.
using System.Diagnostics;
using System.Globalization;
using Tallow.Protocol.Sync;

namespace Tallow.Bench.SyncChunker;

internal static class TreeBench
{
    public static void Run(int files)
    {
        string root = Directory.CreateTempSubdirectory("sync-chunker-tree-").FullName;
        try
        {
            var random = new Random(7);
            var paths = new List<string>(files);
            for (int i = 0; i < files; i++)
            {
                string relative = $"d{i / 100:D5}/f{i % 100:D2}.bin";
                string full = Path.Combine(root, "mirror", relative);
                if (i % 100 == 0)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                }

                byte[] content = new byte[random.Next(1024, 8192)];
                random.NextBytes(content);
                File.WriteAllBytes(full, content);
                paths.Add(relative);
            }

            string mirror = Path.Combine(root, "mirror"), cacheFile = Path.Combine(root, "state", "chunks");
            var clock = new Clock();
            ChunkCache cache = ChunkCache.Load(cacheFile);
            LocalChunkStore cold = LocalChunkStore.Build(mirror, paths, cache, CancellationToken.None);
            Report("build, empty cache", clock, $"{cold.ChunkCount} chunks");

            clock.Restart();
            cache.Save();
            Report("cache save (fsync'd)", clock, $"{new FileInfo(cacheFile).Length / 1e6:0.0} MB");

            clock.Restart();
            ChunkCache loaded = ChunkCache.Load(cacheFile);
            Report("cache load", clock, $"{loaded.Count} entries");

            clock.Restart();
            LocalChunkStore warm = LocalChunkStore.Build(mirror, paths, loaded, CancellationToken.None);
            Report("build, every file a cache hit", clock, $"{warm.ChunkCount} chunks");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Report(string what, Clock clock, string detail) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what,-32} {clock.Wall,7:0.000} s wall {clock.Cpu,7:0.000} s CPU  {detail}"));

    /// <summary>Wall time and this process's CPU time since the last Restart.</summary>
    private sealed class Clock
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;

        public double Wall => _wall.Elapsed.TotalSeconds;

        public double Cpu => (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds;

        public void Restart()
        {
            _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            _wall.Restart();
        }
    }
}
