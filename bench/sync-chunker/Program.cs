// sync-chunker [MiB] [repetitions] [file]: writes a file of pseudo-random bytes (default 1024 MiB,
// in the temp folder, deleted at the end unless a file is given), then times, each repetition:
//   chunkfile  ContentChunker.ChunkFile (read + cut search + BLAKE3 of each chunk and of the file)
//   cuts       ContentChunker.NextCut alone over the file's bytes in memory
//   blake3     one BLAKE3 pass over the same bytes in memory (ChunkFile makes two)
// and prints the median MB/s (10^6 bytes/s) of each, the chunk count and the mean chunk size
// (chunkfile also per CPU second of this process, which other load on the machine disturbs less).
// sync-chunker tree [files]: see TreeBench.cs.
using System.Diagnostics;
using System.Globalization;
using Tallow.Bench.SyncChunker;
using Tallow.Protocol.Sync;

if (args.Length > 0 && args[0] == "tree")
{
    TreeBench.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000);
    return;
}

int mebibytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1024;
int repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
bool ownFile = args.Length <= 2;
string path = ownFile ? Path.Combine(Path.GetTempPath(), $"sync-chunker-{Environment.ProcessId}.bin") : args[2];
long length = (long)mebibytes << 20;
try
{
    if (ownFile || !File.Exists(path))
    {
        WriteRandom(path, length);
    }

    length = new FileInfo(path).Length;
    byte[] memory = length <= Array.MaxLength ? File.ReadAllBytes(path) : [];
    var chunkFile = new List<double>();
    var chunkFileCpu = new List<double>();
    var cuts = new List<double>();
    var blake3 = new List<double>();
    FileChunks? result = null;
    for (int i = 0; i < repetitions; i++)
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        result = ContentChunker.ChunkFile(path, CancellationToken.None);
        chunkFile.Add(length / clock.Elapsed.TotalSeconds / 1e6);
        chunkFileCpu.Add(length / (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / 1e6);
        if (memory.Length > 0)
        {
            clock.Restart();
            int count = CountCuts(memory);
            cuts.Add(memory.Length / clock.Elapsed.TotalSeconds / 1e6);
            clock.Restart();
            Blake3.Hasher.Hash(memory);
            blake3.Add(memory.Length / clock.Elapsed.TotalSeconds / 1e6);
            if (count != result.Chunks.Count)
            {
                throw new InvalidOperationException("NextCut in memory and ChunkFile disagree");
            }
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"file {length / 1e6:0} MB, {result!.Chunks.Count} chunks, mean {length / (double)Math.Max(1, result.Chunks.Count) / 1024:0.0} KiB"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chunkfile MB/s {Median(chunkFile):0} (per CPU second: {Median(chunkFileCpu):0})"));
    if (memory.Length > 0)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cuts-only MB/s {Median(cuts):0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"blake3-one-pass MB/s {Median(blake3):0}"));
    }
}
finally
{
    if (ownFile)
    {
        File.Delete(path);
    }
}

static int CountCuts(byte[] data)
{
    int count = 0;
    for (int start = 0; start < data.Length; count++)
    {
        start += ContentChunker.NextCut(data.AsSpan(start), final: true);
    }

    return count;
}

static double Median(List<double> values)
{
    values.Sort();
    return values[values.Count / 2];
}

static void WriteRandom(string path, long length)
{
    var random = new Random(20240601);
    byte[] block = new byte[1 << 20];
    using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
    for (long written = 0; written < length; written += block.Length)
    {
        random.NextBytes(block);
        stream.Write(block, 0, (int)Math.Min(block.Length, length - written));
    }
}
