// The files of the web page: the web/dist files embedded in the binary (EmbeddedResource with
// LogicalName "tallow-web/<relative path>", see Tallow.Relay.csproj), or a directory given with
// --web-root. Path traversal is impossible by construction: a request path is accepted only as
// '/'-separated segments of [A-Za-z0-9._-] not starting with '.', with no percent-encoding, and
// is looked up by exact name in the embedded set; under a root, every component of the path is
// checked not to be a symbolic link, so nothing outside the (canonicalised) root is reachable.
using System.Security.Cryptography;

namespace Tallow.Relay.Web;

/// <summary>One servable file: its bytes, media type and strong ETag (SHA-256 of the bytes).</summary>
internal sealed record WebFile(string Name, byte[] Content, string ContentType, string ETag);

internal sealed class WebContent
{
    public const string ResourcePrefix = "tallow-web/";

    // Files under --web-root are read whole per request; the page's bundle is well below this.
    private const long MaxRootFileBytes = 32 * 1024 * 1024;
    private const int MaxPathLength = 512;

    /// <summary>
    /// The one generated file: how a CLI reaches this relay, so the page's "tallow receive" command
    /// carries the right --relay (the host is the one the browser used; only the port, TLS and the
    /// certificate's pin come from here). Never anything secret.
    /// </summary>
    public const string RelayInfoName = "relay.json";

    private readonly Dictionary<string, WebFile>? _embedded;
    private readonly string? _root;
    private WebFile? _relayInfo;

    private WebContent(Dictionary<string, WebFile>? embedded, string? root)
    {
        _embedded = embedded;
        _root = root;
    }

    /// <summary>How many embedded files the binary carries (0 when web/dist was empty at build time).</summary>
    public static int EmbeddedCount => typeof(WebContent).Assembly.GetManifestResourceNames().Count(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal));

    /// <summary>The embedded files, read once.</summary>
    public static WebContent Embedded()
    {
        var files = new Dictionary<string, WebFile>(StringComparer.Ordinal);
        var assembly = typeof(WebContent).Assembly;
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            string name = resource[ResourcePrefix.Length..].Replace('\\', '/');
            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name] = Describe(name, copy.ToArray());
        }

        return new WebContent(files, null);
    }

    /// <summary>Serves <paramref name="root"/> (must exist); the root itself may be a symbolic link, resolved once here.</summary>
    public static WebContent Directory(string root)
    {
        string full = Path.GetFullPath(root);
        if (new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            full = target.FullName;
        }

        if (!System.IO.Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"the web root {root} is not a directory");
        }

        return new WebContent(null, full);
    }

    /// <summary>The file for a request path ("/" is index.html), or null: unknown, not allowed, or unreadable.</summary>
    public WebFile? Find(string requestPath)
    {
        if (ToName(requestPath) is not string name)
        {
            return null;
        }

        if (name == RelayInfoName && _relayInfo is not null)
        {
            return _relayInfo;
        }

        if (_embedded is not null)
        {
            return _embedded.GetValueOrDefault(name);
        }

        return ReadUnderRoot(name);
    }

    /// <summary>Sets relay.json: the main port, whether it speaks TLS, and its certificate's SHA-256 pin (null without TLS).</summary>
    public void SetRelayInfo(int port, string? tlsFingerprint)
    {
        string fingerprint = tlsFingerprint is null ? "null" : $"\"{tlsFingerprint}\"";
        string json = $"{{\"port\":{port},\"tls\":{(tlsFingerprint is null ? "false" : "true")},\"fingerprint\":{fingerprint}}}\n";
        _relayInfo = Describe(RelayInfoName, System.Text.Encoding.ASCII.GetBytes(json));
    }

    /// <summary>The relative file name a request path stands for, or null when it is not a plain path.</summary>
    internal static string? ToName(string requestPath)
    {
        if (requestPath == "/")
        {
            return "index.html";
        }

        if (requestPath.Length > MaxPathLength || requestPath.Length < 2 || requestPath[0] != '/')
        {
            return null;
        }

        string name = requestPath[1..];
        foreach (string segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment[0] == '.')
            {
                return null;
            }

            foreach (char c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
                {
                    return null;
                }
            }
        }

        return name;
    }

    private WebFile? ReadUnderRoot(string name)
    {
        try
        {
            string path = _root!;
            string[] segments = name.Split('/');
            for (int i = 0; i < segments.Length; i++)
            {
                path = Path.Combine(path, segments[i]);
                FileSystemInfo info = i < segments.Length - 1 ? new DirectoryInfo(path) : new FileInfo(path);
                if (!info.Exists || info.LinkTarget is not null)
                {
                    return null;
                }
            }

            var file = new FileInfo(path);
            if ((file.Attributes & (FileAttributes.Directory | FileAttributes.Device)) != 0 || file.Length > MaxRootFileBytes)
            {
                return null;
            }

            return Describe(name, File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    private static WebFile Describe(string name, byte[] content) =>
        new(name, content, ContentType(name), "\"" + Convert.ToHexStringLower(SHA256.HashData(content)) + "\"");

    internal static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" or ".map" => "application/json",
        ".webmanifest" => "application/manifest+json",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".wasm" => "application/wasm",
        ".txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
}
