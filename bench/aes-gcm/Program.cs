// aes-gcm-speed [seconds] [block bytes]: seals blocks with System.Security.Cryptography.AesGcm
// (256-bit key, 16-byte tag) on one thread and prints "aes-256-gcm-dotnet <MB/s>" (MB = 10^6 bytes).
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
int blockSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1 << 20;
byte[] key = RandomNumberGenerator.GetBytes(32);
byte[] nonce = new byte[12];
byte[] plain = RandomNumberGenerator.GetBytes(blockSize);
byte[] cipher = new byte[blockSize];
byte[] tag = new byte[16];
using var aes = new AesGcm(key, 16);
for (int i = 0; i < 20; i++)
{
    aes.Encrypt(nonce, plain, cipher, tag); // warm up
}

long bytes = 0;
ulong counter = 0;
var clock = Stopwatch.StartNew();
while (clock.Elapsed.TotalSeconds < seconds)
{
    BitConverter.TryWriteBytes(nonce.AsSpan(4), ++counter);
    aes.Encrypt(nonce, plain, cipher, tag);
    bytes += blockSize;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"aes-256-gcm-dotnet {bytes / clock.Elapsed.TotalSeconds / 1e6:0.0}"));
