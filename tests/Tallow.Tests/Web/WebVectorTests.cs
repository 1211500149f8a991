// Known-answer vectors shared with the web page's JavaScript (issue 19): tests/vectors/web-*.json.
// Every vector is computed here by the product's C# code (CPaceSession, SessionKeys, PeerHandshake,
// SasCommitment, RecordSealer, CodePhrase, BLAKE3) from fixed inputs; a test fails when a committed
// file differs from what the C# computes now. web/test/vectors.test.mjs recomputes the same files
// with the JavaScript. The files are never produced by the JavaScript: to regenerate them after an
// intended change, run this class with TALLOW_WRITE_VECTORS=1 and commit the result.
using Tallow.Protocol;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tallow.Crypto;
using Tallow.Protocol.Handshake;
using Tallow.Wire;

namespace Tallow.Tests.Web;

public class WebVectorTests
{
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tallow.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (Tallow.slnx) was not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [InlineData("web-cpace.json")]
    [InlineData("web-keys.json")]
    [InlineData("web-records.json")]
    [InlineData("web-codes.json")]
    [InlineData("web-blake3.json")]
    public void Committed_vectors_equal_what_the_csharp_computes(string name)
    {
        string computed = Build(name).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        string path = Path.Combine(RepoRoot(), "tests", "vectors", name);
        if (Environment.GetEnvironmentVariable("TALLOW_WRITE_VECTORS") == "1")
        {
            File.WriteAllText(path, computed);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run this test with TALLOW_WRITE_VECTORS=1");
        Assert.Equal(computed, File.ReadAllText(path));
    }

    [Fact]
    public void The_web_word_list_is_the_cli_word_list_in_the_same_order()
    {
        string js = File.ReadAllText(Path.Combine(RepoRoot(), "web", "src", "protocol", "words.js"));
        int start = js.IndexOf("Object.freeze(", StringComparison.Ordinal) + "Object.freeze(".Length;
        int end = js.IndexOf(");", start, StringComparison.Ordinal);
        string[] words = JsonSerializer.Deserialize<string[]>(js[start..end])!;
        Assert.Equal(CodePhrase.Words, words);
    }

    [Fact]
    public void A_changed_vector_is_detected()
    {
        // The comparison above is byte-exact: one flipped hex digit in any output makes it fail.
        JsonNode cpace = Build("web-cpace.json");
        string original = cpace.ToJsonString();
        string isk = cpace["cases"]![0]!["isk"]!.GetValue<string>();
        cpace["cases"]![0]!["isk"] = (isk[0] == '0' ? "1" : "0") + isk[1..];
        Assert.NotEqual(original, cpace.ToJsonString());
        Assert.Equal(original, Build("web-cpace.json").ToJsonString());
    }

    private static JsonNode Build(string name) => name switch
    {
        "web-cpace.json" => CPaceVectors(),
        "web-keys.json" => KeyVectors(),
        "web-records.json" => RecordVectors(),
        "web-codes.json" => CodeVectors(),
        "web-blake3.json" => Blake3Vectors(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Deterministic bytes: (i * 31 + seed * 7 + 11) mod 256.</summary>
    internal static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)((i * 31) + (seed * 7) + 11);
        }

        return b;
    }

    /// <summary>A scalar below the group order: the pattern with the top byte made small.</summary>
    private static byte[] Scalar(int seed)
    {
        byte[] s = Pattern(32, seed);
        s[31] = (byte)(s[31] & 0x0F);
        return s;
    }

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexString(b).ToLowerInvariant();

    private static JsonNode CPaceVectors()
    {
        var cases = new JsonArray();
        (string label, byte[] prs, byte[] ci, byte[] sid)[] inputs =
        [
            ("code", Encoding.UTF8.GetBytes("1-abacus-abdomen-abdominal"), PeerHandshake.ChannelId(1), Pattern(16, 1)),
            ("long password (no zero padding, two-byte lengths)", Pattern(200, 2), PeerHandshake.ChannelId(1234567), Pattern(16, 3)),
            ("relay password", Encoding.UTF8.GetBytes("hunter2 ✓"), Encoding.UTF8.GetBytes("tallow relay v2"), Pattern(32, 4)),
        ];
        int seed = 10;
        foreach (var (label, prs, ci, sid) in inputs)
        {
            byte[] ya = Scalar(seed++);
            byte[] yb = Scalar(seed++);
            using CPaceSession a = CPaceSession.CreateWithScalar(prs, ci, sid, ya);
            using CPaceSession b = CPaceSession.CreateWithScalar(prs, ci, sid, yb);
            byte[] iskA = new byte[CPaceSession.IskSize];
            byte[] iskB = new byte[CPaceSession.IskSize];
            Assert.True(a.TryDeriveIsk(b.Share, isInitiator: true, default, default, iskA));
            Assert.True(b.TryDeriveIsk(a.Share, isInitiator: false, default, default, iskB));
            Assert.Equal(iskA, iskB);
            cases.Add(new JsonObject
            {
                ["label"] = label,
                ["prs"] = Hex(prs),
                ["ci"] = Hex(ci),
                ["sid"] = Hex(sid),
                ["ya_scalar"] = Hex(ya),
                ["yb_scalar"] = Hex(yb),
                ["generator"] = Hex(CPaceSession.CalculateGenerator(prs, ci, sid)),
                ["Ya"] = Hex(a.Share),
                ["Yb"] = Hex(b.Share),
                ["isk"] = Hex(iskA),
            });
        }

        return new JsonObject { ["about"] = "CPace ristretto255/SHA-512 as src/Tallow.Crypto/CPaceSession.cs; scalars little-endian", ["cases"] = cases };
    }

    private static JsonNode KeyVectors()
    {
        const uint nameplate = 4242;
        byte[] init = Pattern(HandshakeLayout.InitSize, 20);
        byte[] resp = Pattern(HandshakeLayout.ResponseConfirmOffset, 21);
        byte[] transcript = PeerHandshake.TranscriptHash(nameplate, init, resp);
        byte[] isk = Pattern(64, 22);
        byte[] kem = Pattern(32, 23);
        byte[] dh = Pattern(32, 24);
        byte[] sasNonce = Pattern(32, 25);
        using SessionKeys keys = SessionKeys.Derive(transcript, isk, kem, dh);
        byte[] confirmI = new byte[32];
        byte[] confirmR = new byte[32];
        SessionKeys.ComputeConfirmation(keys.ConfirmInitiator, transcript, confirmI);
        SessionKeys.ComputeConfirmation(keys.ConfirmResponder, transcript, confirmR);
        byte[] commit = new byte[SasCommitment.Size];
        SasCommitment.Compute(sasNonce, commit);
        string sasBefore = Hex(keys.Sas);
        keys.BindSasNonce(sasNonce);
        return new JsonObject
        {
            ["about"] = "transcript and key schedule as PeerHandshake + SessionKeys; init/resp are filler bytes of the right sizes",
            ["nameplate"] = nameplate,
            ["channel_id"] = Hex(PeerHandshake.ChannelId(nameplate)),
            ["init"] = Hex(init),
            ["resp_unconfirmed"] = Hex(resp),
            ["transcript"] = Hex(transcript),
            ["isk"] = Hex(isk),
            ["mlkem_secret"] = Hex(kem),
            ["x25519_secret"] = Hex(dh),
            ["keys"] = new JsonObject
            {
                ["i2r"] = Hex(keys.InitiatorToResponder),
                ["r2i"] = Hex(keys.ResponderToInitiator),
                ["confirmI"] = Hex(keys.ConfirmInitiator),
                ["confirmR"] = Hex(keys.ConfirmResponder),
                ["direct"] = Hex(keys.DirectPath),
                ["sas"] = sasBefore,
                ["resume"] = Hex(keys.Resumption),
            },
            ["confirm_i"] = Hex(confirmI),
            ["confirm_r"] = Hex(confirmR),
            ["sas_nonce"] = Hex(sasNonce),
            ["sas_commit"] = Hex(commit),
            ["sas_bound"] = Hex(keys.Sas),
            ["safety_digits"] = SafetyNumber.Digits(keys.Sas),
        };
    }

    private static JsonNode RecordVectors()
    {
        byte[] key = Pattern(32, 30);
        const ulong interval = 2; // a short ratchet interval so the vectors cover two rekeys
        using var sealer = new RecordSealer(key, interval);
        var records = new JsonArray();
        (byte kind, byte[] body)[] inputs = [(1, []), (5, Pattern(100, 31)), (6, Pattern(44, 32)), (17, [1, 0, 0, 0x10, 0]), (5, Pattern(3000, 33))];
        foreach (var (kind, body) in inputs)
        {
            ulong counter = sealer.RecordsSealed;
            byte[] plain = [kind, .. body];
            byte[] header = new byte[Frame.HeaderSize];
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(1 + plain.Length + RecordSealer.TagSize));
            header[4] = (byte)FrameType.Record;
            byte[] tag = new byte[RecordSealer.TagSize];
            sealer.Seal(header, plain, tag);
            records.Add(new JsonObject
            {
                ["counter"] = counter,
                ["kind"] = kind,
                ["body"] = Hex(body),
                ["frame"] = Hex([.. header, .. plain, .. tag]),
            });
        }

        byte[] ratcheted = new byte[32];
        HKDF.Expand(HashAlgorithmName.SHA256, key, ratcheted, "tallow v1 rekey"u8);
        return new JsonObject
        {
            ["about"] = "AES-256-GCM records as RecordSealer: nonce 0^4 ‖ u64 BE counter, AAD = frame header, key ratchet every rekey_interval records",
            ["key"] = Hex(key),
            ["rekey_interval"] = interval,
            ["first_ratcheted_key"] = Hex(ratcheted),
            ["records"] = records,
        };
    }

    private static JsonNode CodeVectors()
    {
        string[] inputs = ["  12 Foo_bar  baz ", "7-ABACUS-abdomen", "1-\tzebra\n", "Ünïcode  Wörds", "hello world", "0-leading-zero", "1234567-too-many-digits", "___", "42"];
        var cases = new JsonArray();
        foreach (string input in inputs)
        {
            bool ok = CodePhrase.TryNormalize(input, out string normalized);
            var c = new JsonObject { ["input"] = input, ["normalised"] = ok ? normalized : null };
            if (ok)
            {
                c["nameplate"] = CodePhrase.NameplateOf(normalized, out bool mapped);
                c["mapped"] = mapped;
            }

            cases.Add(c);
        }

        string joined = string.Join('\n', CodePhrase.Words);
        return new JsonObject
        {
            ["about"] = "CodePhrase.TryNormalize and NameplateOf (Argon2id for codes without a written nameplate); the word list's SHA-256 over words joined by \\n",
            ["cases"] = cases,
            ["word_count"] = CodePhrase.Words.Count,
            ["words_sha256"] = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(joined))),
            ["default_word_count"] = CodePhrase.DefaultWordCount,
        };
    }

    private static JsonNode Blake3Vectors()
    {
        var cases = new JsonArray();
        foreach (int size in new[] { 0, 1, 1023, 1024, 1025, 65536, 1048577, 3145731 })
        {
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++)
            {
                data[i] = (byte)((i * 7) + 3);
            }

            byte[] hash = new byte[32];
            Blake3Hasher.Hash(data, hash);
            cases.Add(new JsonObject { ["size"] = size, ["blake3"] = Hex(hash) });
        }

        return new JsonObject { ["about"] = "BLAKE3-256 of files whose byte i is (7i + 3) mod 256, as FileDone carries", ["cases"] = cases };
    }
}
