// The fuzz driver (fuzz/run.sh runs it under afl-fuzz after SharpFuzz instrumented the
// Tallow assemblies). Commands:
//   list                      name, corpus folder, "threaded" or "-", parsers: one line per target
//   run <target>              AFL++ persistent mode: one input per iteration from afl-fuzz
//   seeds <dir>               writes every target's seed inputs to <dir>/<target>/seed-N
//   replay <target> <path>... runs files (or every file of a folder) once, reports exceptions
using SharpFuzz;
using Tallow.Fuzz.Targets;

if (args.Length == 0)
{
    return Usage();
}

// Instrumented assemblies record coverage into AFL's shared map, which Fuzzer.Run attaches. Until
// then (finding the target, or list/seeds/replay outside afl-fuzz) they write to a private map.
unsafe
{
    SharpFuzz.Common.Trace.SharedMem = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1 << 16);
}

switch (args[0])
{
    case "list":
        foreach (FuzzTarget t in FuzzTargets.All)
        {
            Console.WriteLine($"{t.Name,-18} {t.Corpus,-18} {(t.Threaded ? "threaded" : "-"),-8} {t.Parser}");
        }

        return 0;

    case "run" when args.Length == 2 && FuzzTargets.Find(args[1]) is { } target:
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target.Fuzz(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        return 0;

    case "seeds" when args.Length == 2:
        foreach (FuzzTarget t in FuzzTargets.All.Where(t => t.Corpus == t.Name))
        {
            string dir = Path.Combine(args[1], t.Name);
            Directory.CreateDirectory(dir);
            int n = 0;
            foreach (byte[] seed in t.Seeds())
            {
                t.Fuzz(seed); // a seed must pass its own target
                File.WriteAllBytes(Path.Combine(dir, $"seed-{n++}"), seed);
            }

            Console.WriteLine($"{t.Name}: {n} seeds");
        }

        return 0;

    case "replay" when args.Length >= 3 && FuzzTargets.Find(args[1]) is { } target:
        int failures = 0;
        foreach (string file in args[2..].SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]))
        {
            try
            {
                target.Fuzz(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"{file}: {e}");
            }
        }

        Console.WriteLine($"{target.Name}: {failures} failing input(s)");
        return failures == 0 ? 0 : 1;

    default:
        return Usage();
}

static int Usage()
{
    Console.Error.WriteLine("usage: Tallow.Fuzz list | run <target> | seeds <dir> | replay <target> <file|dir>...");
    return 2;
}
