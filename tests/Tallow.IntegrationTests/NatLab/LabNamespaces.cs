// The namespaces of one lab (NAT lab, link lab) and what must go before them: each namespace
// gets the lab's unique prefix and a live loopback; on dispose the owned processes go first (by
// PID, in reverse order), then the caller's own devices, then every namespace, even after a failure.
using System.Security.Cryptography;

namespace Tallow.IntegrationTests.NatLab;

public sealed class LabNamespaces(string prefixStart)
{
    private readonly List<string> _namespaces = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private bool _disposed;

    /// <summary>Unique per lab; every namespace of this lab starts with it.</summary>
    public string Prefix { get; } = prefixStart + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))[..5];

    public IReadOnlyList<string> Names => _namespaces;

    public string Add(string role)
    {
        string name = Prefix + role;
        Netns.Run("ip", "netns", "add", name);
        _namespaces.Add(name);
        Netns.Run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>The lab disposes this (before deleting the namespaces).</summary>
    public T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Owned things, then <paramref name="beforeNamespaces"/>, then the namespaces; once.</summary>
    public async ValueTask DisposeAsync(Action? beforeNamespaces = null)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (IAsyncDisposable d in Enumerable.Reverse(_owned))
        {
            try
            {
                await d.DisposeAsync();
            }
            catch (Exception)
            {
                // keep cleaning up
            }
        }

        beforeNamespaces?.Invoke();
        foreach (string ns in Enumerable.Reverse(_namespaces))
        {
            Netns.Delete(ns);
        }
    }
}
