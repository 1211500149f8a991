// Whose ~/.ssh `tallow ssh invite` writes to: the running user's ($HOME), or with --user NAME that
// user's home and ids from /etc/passwd (root only: installing a key for someone else is an
// administrator's act; anyone else is told so, exit 2). The file is read bounded and parsed
// without throwing; only local accounts in /etc/passwd are found (not LDAP or other NSS sources).
using Tallow.Protocol;
using Tallow.Protocol.Ssh;

namespace Tallow.Cli.Ssh;

internal sealed record UserHome(string Name, string Home, FileOwner? Owner)
{
    private const string PasswdPath = "/etc/passwd";
    private const int MaxPasswdBytes = 16 * 1024 * 1024;

    /// <summary>The home to install into; <paramref name="user"/> null: this process's own.</summary>
    public static UserHome Resolve(string? user)
    {
        if (user is null)
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home))
            {
                throw new TallowException(FailureKind.Usage, "cannot tell this user's home folder: set HOME, or run as root with --user NAME.");
            }

            return new UserHome(Environment.UserName, home, null);
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new TallowException(FailureKind.Usage,
                $"--user installs the key into another user's home, which only root may do: run it as root (sudo tallow ssh invite --user {Printable(user)}), or leave --user out to install for yourself.");
        }

        return Lookup(user, ReadPasswd()) ?? throw new TallowException(FailureKind.Usage,
            $"there is no user '{Printable(user)}' in {PasswdPath}: check the name (only local accounts are found).");
    }

    /// <summary>The passwd entry of <paramref name="user"/> in <paramref name="passwd"/>'s text, or null.</summary>
    internal static UserHome? Lookup(string user, string passwd)
    {
        if (user.Length == 0 || user.Contains(':', StringComparison.Ordinal) || user.Contains('\n', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (string line in passwd.Split('\n'))
        {
            string[] fields = line.Split(':');
            if (fields.Length >= 7 && fields[0] == user
                && uint.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint uid)
                && uint.TryParse(fields[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint gid)
                && Path.IsPathRooted(fields[5]))
            {
                return new UserHome(user, fields[5], new FileOwner(uid, gid));
            }
        }

        return null;
    }

    private static string ReadPasswd()
    {
        using var stream = new FileStream(PasswdPath, FileMode.Open, FileAccess.Read);
        if (stream.Length > MaxPasswdBytes)
        {
            throw new TallowException(FailureKind.FileSystem, $"{PasswdPath} is larger than {MaxPasswdBytes / (1024 * 1024)} MiB: not read.");
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Printable(string text) => Output.TerminalText.Clean(text.Length > 64 ? text[..64] : text);
}
