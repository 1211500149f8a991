// Finds git work trees on disk without running git: a folder holding ".git" (a folder, or a
// file "gitdir: PATH" for linked work trees and submodules) is a work-tree root, and its
// info/exclude lives in the common git folder (named by "commondir" in linked work trees).
namespace Tallow.Protocol.Transfer.Selection;

internal static class GitWorkTree
{
    public const string GitFolderName = ".git";

    private const int MaxPointerBytes = 4096;

    public static bool IsRoot(string folder)
    {
        string git = Path.Combine(folder, GitFolderName);
        return Directory.Exists(git) || File.Exists(git);
    }

    /// <summary>The nearest folder strictly above <paramref name="folder"/> that is a work-tree root, or null.</summary>
    public static string? FindEnclosingRoot(string folder)
    {
        for (string? dir = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(folder)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (IsRoot(dir))
            {
                return dir;
            }
        }

        return null;
    }

    /// <summary>Path of the info/exclude file of the work tree rooted at <paramref name="root"/> (it may not exist).</summary>
    public static string? InfoExcludePath(string root)
    {
        string git = Path.Combine(root, GitFolderName);
        string? gitDir = Directory.Exists(git) ? git : ReadPointer(git, "gitdir:", root);
        if (gitDir is null)
        {
            return null;
        }

        string commonDir = ReadPointer(Path.Combine(gitDir, "commondir"), prefix: null, gitDir) ?? gitDir;
        return Path.Combine(commonDir, "info", "exclude");
    }

    /// <summary>The path a small pointer file names (after <paramref name="prefix"/>), relative paths resolved from <paramref name="baseDir"/>.</summary>
    private static string? ReadPointer(string file, string? prefix, string baseDir)
    {
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists || info.Length == 0 || info.Length > MaxPointerBytes)
            {
                return null;
            }

            string text = File.ReadAllText(file).Trim();
            if (prefix is not null)
            {
                if (!text.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return null;
                }

                text = text[prefix.Length..].Trim();
            }

            return text.Length == 0 ? null : Path.GetFullPath(text, baseDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }
}
