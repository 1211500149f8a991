// SshPublicKey against the real ssh-keygen: every key type it makes parses, with the size,
// fingerprint, comment and label `ssh-keygen -lf` prints; sk- keys (which need a FIDO device to
// generate) are built by hand and checked the same way. Private keys, options, controls, weak RSA,
// a type that differs from the blob's, and mangled lines are refused, and no input throws.
using System.Buffers.Binary;
using System.Text;
using Tallow.Protocol.Ssh;

namespace Tallow.Tests.Protocol.Ssh;

public sealed class SshPublicKeyTests
{
    [Theory]
    [InlineData("ed25519", null)]
    [InlineData("ecdsa", 256)]
    [InlineData("ecdsa", 384)]
    [InlineData("ecdsa", 521)]
    [InlineData("rsa", 2048)]
    [InlineData("rsa", 3072)]
    [InlineData("rsa", 4097)]
    public void Keys_made_by_ssh_keygen_parse_with_its_size_fingerprint_and_label(string type, int? bits)
    {
        using var keygen = new SshKeygen();
        string path = keygen.Generate(type, bits, "alice@laptop ünïcode", "key");
        string text = File.ReadAllText(path + ".pub");

        Assert.Equal(KeyProblem.None, SshPublicKey.TryParse(text, out SshPublicKey? key));
        Assert.Equal(SshKeygen.Fingerprint(path + ".pub"), $"{key!.Bits} {key.Fingerprint} {key.Comment} ({key.Label})");
        Assert.Equal(text.TrimEnd('\n'), key.Line);
    }

    [Theory]
    [InlineData("sk-ssh-ed25519@openssh.com", "ED25519-SK")]
    [InlineData("sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK")]
    public void Security_key_types_parse_with_ssh_keygens_fingerprint(string type, string label)
    {
        using var keygen = new SshKeygen();
        byte[] blob = type.StartsWith("sk-ssh", StringComparison.Ordinal)
            ? Blob(type, Bytes(32, 7), Encoding.ASCII.GetBytes("ssh:"))
            : Blob(type, Encoding.ASCII.GetBytes("nistp256"), EcPoint(), Encoding.ASCII.GetBytes("ssh:"));
        string file = Path.Combine(keygen.Folder, "sk.pub");
        File.WriteAllText(file, $"{type} {Convert.ToBase64String(blob)} bob@yubikey\n");

        Assert.Equal(KeyProblem.None, SshPublicKey.TryParse(File.ReadAllText(file), out SshPublicKey? key));
        Assert.Equal(label, key!.Label);
        Assert.Equal(SshKeygen.Fingerprint(file), $"{key.Bits} {key.Fingerprint} {key.Comment} ({key.Label})");
    }

    [Theory]
    [InlineData("ed25519", new string[0])]
    [InlineData("rsa", new[] { "-m", "PEM" })]
    [InlineData("ecdsa", new[] { "-m", "PKCS8" })]
    public void Private_keys_are_refused_in_every_format(string type, string[] format)
    {
        using var keygen = new SshKeygen();
        string path = keygen.Generate(type, null, "secret", "key", format);

        Assert.Equal(KeyProblem.PrivateKey, SshPublicKey.TryParse(File.ReadAllText(path), out SshPublicKey? key));
        Assert.Null(key);
        Assert.Equal(KeyProblem.PrivateKey, SshPublicKey.TryParse(File.ReadAllText(path + ".pub") + File.ReadAllText(path), out _));
    }

    [Fact]
    public void Rsa_under_2048_bits_is_refused_as_weak()
    {
        using var keygen = new SshKeygen();
        string path = keygen.Generate("rsa", 1024, "old", "key");
        Assert.Equal(KeyProblem.WeakRsa, SshPublicKey.TryParse(File.ReadAllText(path + ".pub"), out _));
    }

    [Fact]
    public void Lines_that_are_not_one_plain_key_are_refused_with_their_reason()
    {
        byte[] ed = Blob("ssh-ed25519", Bytes(32, 1));
        string good = $"ssh-ed25519 {Convert.ToBase64String(ed)} me@host";
        Assert.Equal(KeyProblem.None, SshPublicKey.TryParse(good, out _));

        Assert.Equal(KeyProblem.Empty, SshPublicKey.TryParse("  \n", out _));
        Assert.Equal(KeyProblem.Options, SshPublicKey.TryParse("command=\"/bin/sh\",no-pty " + good, out _));
        Assert.Equal(KeyProblem.Options, SshPublicKey.TryParse("restrict " + good, out _));
        Assert.Equal(KeyProblem.ControlCharacter, SshPublicKey.TryParse(good + " \u001b[2Jhi", out _));
        Assert.Equal(KeyProblem.ControlCharacter, SshPublicKey.TryParse(good + "\rssh-rsa AAAA", out _));
        Assert.Equal(KeyProblem.ControlCharacter, SshPublicKey.TryParse(good + " \u009b31m", out _));
        Assert.Equal(KeyProblem.SeveralLines, SshPublicKey.TryParse(good + "\n" + good, out _));
        Assert.Equal(KeyProblem.UnknownType, SshPublicKey.TryParse("hello world", out _));
        Assert.Equal(KeyProblem.UnknownType, SshPublicKey.TryParse($"ssh-dss {Convert.ToBase64String(ed)}", out _));
        Assert.Equal(KeyProblem.TypeMismatch, SshPublicKey.TryParse($"ssh-rsa {Convert.ToBase64String(ed)}", out _));
        Assert.Equal(KeyProblem.BadBase64, SshPublicKey.TryParse("ssh-ed25519 AAAA$$==", out _));
        Assert.Equal(KeyProblem.BadBase64, SshPublicKey.TryParse($"ssh-ed25519 {Convert.ToBase64String(ed)}=", out _));
        Assert.Equal(KeyProblem.Malformed, SshPublicKey.TryParse("ssh-ed25519", out _));
        Assert.Equal(KeyProblem.Malformed, SshPublicKey.TryParse($"ssh-ed25519 {Convert.ToBase64String(Blob("ssh-ed25519", Bytes(31, 1)))}", out _));
        Assert.Equal(KeyProblem.Malformed, SshPublicKey.TryParse($"ssh-ed25519 {Convert.ToBase64String([.. ed, 0])}", out _));
        Assert.Equal(KeyProblem.TooLong, SshPublicKey.TryParse(good + " " + new string('x', SshPublicKey.MaxLineLength), out _));
    }

    [Fact]
    public void An_authorized_keys_line_yields_its_key_with_options_and_comment_aside()
    {
        byte[] ed = Blob("ssh-ed25519", Bytes(32, 3));
        string base64 = Convert.ToBase64String(ed);
        Assert.Equal(ed, SshPublicKey.KeyOfAuthorizedLine($"from=\"10.0.0.1\",no-pty ssh-ed25519 {base64} other comment")!.Value.Blob);
        Assert.Null(SshPublicKey.KeyOfAuthorizedLine("# ssh-ed25519 comment only"));
        Assert.Null(SshPublicKey.KeyOfAuthorizedLine(string.Empty));
    }

    [Fact]
    public void Hostile_lines_never_throw()
    {
        byte[] rsaLike = Blob("ssh-rsa", [0x01, 0x00, 0x01], [0x00, .. Bytes(256, 0xC3)]);
        string[] seeds = [$"ssh-rsa {Convert.ToBase64String(rsaLike)} x", $"ecdsa-sha2-nistp256 {Convert.ToBase64String(Blob("ecdsa-sha2-nistp256", Encoding.ASCII.GetBytes("nistp256"), EcPoint()))}"];
        var random = new Random(17);
        for (int i = 0; i < 20_000; i++)
        {
            char[] line = seeds[i % seeds.Length].ToCharArray();
            int edits = random.Next(1, 6);
            for (int e = 0; e < edits; e++)
            {
                line[random.Next(line.Length)] = (char)random.Next(0, 0x3000);
            }

            KeyProblem problem = SshPublicKey.TryParse(new string(line), out SshPublicKey? key);
            Assert.Equal(problem == KeyProblem.None, key is not null);
        }

        // Length fields that claim more than there is, and a huge one.
        byte[] lying = Blob("ssh-ed25519", Bytes(32, 1));
        BinaryPrimitives.WriteUInt32BigEndian(lying.AsSpan(15), 0xFFFFFFF0);
        Assert.Equal(KeyProblem.Malformed, SshPublicKey.TryParse($"ssh-ed25519 {Convert.ToBase64String(lying)}", out _));
    }

    /// <summary>An SSH wire blob: the type, then each field as a u32-length-prefixed string.</summary>
    internal static byte[] Blob(string type, params byte[][] fields)
    {
        var blob = new List<byte>();
        foreach (byte[] field in new[] { Encoding.ASCII.GetBytes(type) }.Concat(fields))
        {
            byte[] length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)field.Length);
            blob.AddRange(length);
            blob.AddRange(field);
        }

        return [.. blob];
    }

    private static byte[] Bytes(int count, byte value) => Enumerable.Repeat(value, count).ToArray();

    /// <summary>The P-256 base point, uncompressed: a real point for the ECDSA blobs.</summary>
    private static byte[] EcPoint() => Convert.FromHexString(
        "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
}
