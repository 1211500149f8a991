// AuthorizedKeys on a real file system: ~/.ssh (0700) and authorized_keys (0600) made when
// missing, existing content kept (a missing final newline added first), a key already there
// (with options or another comment) found, and a symlinked file or folder, a hard-linked file and
// a non-regular file refused without touching what they point to; for --user, what is made is
// given to that user.
using System.Diagnostics;
using Tallow.Protocol;
using Tallow.Protocol.Ssh;

namespace Tallow.Tests.Protocol.Ssh;

public sealed class AuthorizedKeysTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("tallow-home-").FullName;

    private static SshPublicKey Key(byte fill, string comment = "me@host")
    {
        byte[] blob = SshPublicKeyTests.Blob("ssh-ed25519", Enumerable.Repeat(fill, 32).ToArray());
        Assert.Equal(KeyProblem.None, SshPublicKey.TryParse($"ssh-ed25519 {Convert.ToBase64String(blob)} {comment}", out SshPublicKey? key));
        return key!;
    }

    private string SshDir => Path.Combine(_home, ".ssh");

    private string FilePath => Path.Combine(SshDir, "authorized_keys");

    [Fact]
    public void A_missing_folder_and_file_are_made_private_and_hold_the_line()
    {
        var keys = new AuthorizedKeys(_home);
        SshPublicKey key = Key(1);
        Assert.False(keys.Contains(key));
        Assert.False(Directory.Exists(SshDir)); // looking creates nothing

        Assert.True(keys.Append(key));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(SshDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(FilePath));
        Assert.Equal(key.Line + "\n", File.ReadAllText(FilePath));
        Assert.True(keys.Contains(key));
    }

    [Fact]
    public void Existing_content_is_kept_and_a_missing_final_newline_added_first()
    {
        Directory.CreateDirectory(SshDir);
        string before = $"# my keys\nno-pty {Key(2).Line}";
        File.WriteAllText(FilePath, before);
        File.SetUnixFileMode(FilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        Assert.True(new AuthorizedKeys(_home).Append(Key(3)));

        Assert.Equal(before + "\n" + Key(3).Line + "\n", File.ReadAllText(FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(FilePath)); // an existing file's mode is the user's
    }

    [Fact]
    public void A_key_already_there_with_options_or_another_comment_is_found_and_not_written_again()
    {
        Directory.CreateDirectory(SshDir);
        string before = $"from=\"10.1.2.3\" {Key(4, "old comment").Line}\n";
        File.WriteAllText(FilePath, before);
        var keys = new AuthorizedKeys(_home);

        Assert.True(keys.Contains(Key(4, "new comment")));
        Assert.False(keys.Append(Key(4, "new comment")));
        Assert.Equal(before, File.ReadAllText(FilePath));
    }

    [Fact]
    public void A_symlinked_authorized_keys_is_refused_and_its_target_left_unchanged()
    {
        Directory.CreateDirectory(SshDir);
        string target = Path.Combine(_home, "elsewhere");
        File.WriteAllText(target, "precious\n");
        File.CreateSymbolicLink(FilePath, target);
        var keys = new AuthorizedKeys(_home);

        Assert.Equal(FailureKind.FileSystem, Assert.Throws<TallowException>(() => keys.Contains(Key(5))).Kind);
        TallowException refused = Assert.Throws<TallowException>(() => keys.Append(Key(5)));
        Assert.Contains("symlink", refused.Message, StringComparison.Ordinal);
        Assert.Equal("precious\n", File.ReadAllText(target));
    }

    [Fact]
    public void A_symlinked_ssh_folder_is_refused()
    {
        string real = Path.Combine(_home, "real-ssh");
        Directory.CreateDirectory(real);
        Directory.CreateSymbolicLink(SshDir, real);

        TallowException refused = Assert.Throws<TallowException>(() => new AuthorizedKeys(_home).Append(Key(6)));
        Assert.Contains("symlink", refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(real));
    }

    [Fact]
    public void A_hard_linked_or_non_regular_authorized_keys_is_refused()
    {
        Directory.CreateDirectory(SshDir);
        string other = Path.Combine(_home, "other");
        File.WriteAllText(other, "x\n");
        using (Process ln = Process.Start("ln", [other, FilePath]))
        {
            Assert.True(ln.WaitForExit(10_000) && ln.ExitCode == 0);
        }

        Assert.Contains("hard links", Assert.Throws<TallowException>(() => new AuthorizedKeys(_home).Append(Key(7))).Message, StringComparison.Ordinal);
        Assert.Equal("x\n", File.ReadAllText(other));

        File.Delete(FilePath);
        Directory.CreateDirectory(FilePath);
        Assert.Equal(FailureKind.FileSystem, Assert.Throws<TallowException>(() => new AuthorizedKeys(_home).Append(Key(7))).Kind);
    }

    [Fact]
    public void What_is_made_for_another_user_is_given_to_that_user()
    {
        var keys = new AuthorizedKeys(_home, new FileOwner(65534, 65534));
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Contains("fchown", Assert.Throws<TallowException>(() => keys.Append(Key(8))).Message, StringComparison.Ordinal); // only root may give files away
            return;
        }

        Assert.True(keys.Append(Key(8)));
        Assert.Equal("65534:65534", Owner(SshDir));
        Assert.Equal("65534:65534", Owner(FilePath));
        Assert.Equal(Key(8).Line + "\n", File.ReadAllText(FilePath));
    }

    private static string Owner(string path)
    {
        using Process stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u:%g", path]) { RedirectStandardOutput = true })!;
        string owner = stat.StandardOutput.ReadToEnd().Trim();
        Assert.True(stat.WaitForExit(10_000) && stat.ExitCode == 0);
        return owner;
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
