// What a browser has learned about _tallow._tcp.local instances (RFC 6763 §4 PTR → instance,
// §5 SRV + TXT, RFC 6762 §10.1 TTL 0 = goodbye). Pure: fed parsed responses with their source
// address, no sockets; time from a TimeProvider.
// Invariants:
//  - an instance belongs to the address that first announced it: SRV, TXT, addresses and goodbyes
//    for it count only from that address, so a neighbour cannot remove or redirect another's;
//  - bounded per source (MaxInstancesPerSource) and in all (MaxInstances, MaxAddressesPerHost
//    each); an instance whose TXT is not for our nameplate is dropped at once, and
//    every instance expires with its TTL (at most MaxTtl), so one noisy neighbour cannot fill it;
//  - an instance matches only with TXT v=1 and np equal to our nameplate (canonical decimal; any
//    valid np when listing), an
//    SRV port in 1..65535 and at least one acceptable address (not unspecified, multicast,
//    broadcast or IPv6 link-local; loopback only when allowed).
using System.Globalization;
using System.Net;

namespace Tallow.Net.Discovery;

internal sealed class MdnsBrowseCache
{
    public const int MaxInstances = 32;

    /// <summary>A sender announces one instance; a few more cover a host with several sessions.</summary>
    public const int MaxInstancesPerSource = 4;

    public const int MaxAddressesPerHost = 16;
    public const int MaxFollowUpQuestions = 16;

    /// <summary>Longest an entry is believed without being refreshed (announcers use 120 s, RFC 6762 §10).</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromSeconds(120);

    private readonly string? _nameplate;
    private readonly bool _allowLoopback;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><paramref name="nameplate"/> null: every sender's instance (listing the numbers on the LAN).</summary>
    public MdnsBrowseCache(uint? nameplate, bool allowLoopback, TimeProvider? time = null)
    {
        _nameplate = nameplate?.ToString(CultureInfo.InvariantCulture);
        _allowLoopback = allowLoopback;
        _time = time ?? TimeProvider.System;
    }

    public int InstanceCount
    {
        get
        {
            Expire();
            return _instances.Count;
        }
    }

    public bool HasMatch => Endpoints().Count > 0;

    /// <summary>Takes in every record of a response from <paramref name="source"/>: PTR/SRV/TXT first, then addresses of its SRV targets.</summary>
    public void Add(DnsMessage response, IPAddress source)
    {
        if (!response.IsResponse)
        {
            return;
        }

        Expire();
        source = LocalInterfaces.Canonical(source);
        List<DnsRecord> records = [.. response.Answers, .. response.Additionals];
        foreach (DnsRecord record in records)
        {
            switch (record)
            {
                case PtrRecord ptr when DnsName.NameEquals(ptr.Name, MdnsResponder.ServiceType) && IsInstanceName(ptr.Target):
                    Update(ptr.Target, source, ptr.Ttl, _ => { }, isPtr: true);
                    break;
                case SrvRecord srv when IsInstanceName(srv.Name):
                    Update(srv.Name, source, srv.Ttl, i => i.Srv = srv.Ttl == 0 ? null : srv);
                    break;
                case TxtRecord txt when IsInstanceName(txt.Name):
                    Update(txt.Name, source, txt.Ttl, i => i.Txt = txt.Ttl == 0 ? null : txt);
                    if (txt.Ttl != 0 && _instances.TryGetValue(txt.Name, out Instance? described) && ReferenceEquals(described.Txt, txt) && !IsOurs(txt))
                    {
                        _instances.Remove(txt.Name); // another session's sender: of no use, and it takes no room
                    }

                    break;
            }
        }

        foreach (AddressRecord address in records.OfType<AddressRecord>())
        {
            foreach (Instance owner in _instances.Values.Where(i => i.Source.Equals(source) && i.Srv is { } s && DnsName.NameEquals(s.Target, address.Name)))
            {
                AddAddress(owner, address);
            }
        }
    }

    /// <summary>Relay endpoints of every matching instance, deduplicated, in discovery order.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints()
    {
        Expire();
        return [.. _instances.Values.SelectMany(Endpoints).Distinct()];
    }

    /// <summary>The nameplates of every usable instance (reachable addresses and a port), ascending.</summary>
    public IReadOnlyList<uint> Nameplates()
    {
        Expire();
        var found = new SortedSet<uint>();
        foreach (Instance instance in _instances.Values)
        {
            if (Endpoints(instance).Any() && instance.Txt!.TryGetValue("np", out string np) && uint.TryParse(np, NumberStyles.None, CultureInfo.InvariantCulture, out uint nameplate))
            {
                found.Add(nameplate);
            }
        }

        return [.. found];
    }

    /// <summary>SRV/TXT questions for instances still missing them and A/AAAA for targets without addresses.</summary>
    public IReadOnlyList<DnsQuestion> FollowUpQuestions()
    {
        Expire();
        var questions = new List<DnsQuestion>();
        foreach ((string name, Instance instance) in _instances)
        {
            if (instance.Txt is null)
            {
                questions.Add(new DnsQuestion(name, DnsType.Txt));
            }

            if (instance.Srv is null)
            {
                questions.Add(new DnsQuestion(name, DnsType.Srv));
            }
            else if (instance.Addresses.Count == 0)
            {
                questions.Add(new DnsQuestion(instance.Srv.Target, DnsType.A));
                questions.Add(new DnsQuestion(instance.Srv.Target, DnsType.Aaaa));
            }
        }

        return [.. questions.Take(MaxFollowUpQuestions)];
    }

    public bool IsAcceptable(IPAddress address) =>
        !LocalInterfaces.IsUnusable(address) && (_allowLoopback || !IPAddress.IsLoopback(address));

    /// <summary>
    /// Applies one record about instance <paramref name="name"/> from <paramref name="source"/>: only its
    /// owner may change or end it. A PTR goodbye ends the instance; an SRV/TXT goodbye clears that record.
    /// </summary>
    private void Update(string name, IPAddress source, uint ttl, Action<Instance> apply, bool isPtr = false)
    {
        if (_instances.TryGetValue(name, out Instance? instance))
        {
            if (!instance.Source.Equals(source))
            {
                return; // someone else's instance
            }
        }
        else if (ttl == 0 || (instance = TryAdd(name, source)) is null)
        {
            return;
        }

        if (ttl == 0 && isPtr)
        {
            _instances.Remove(name);
            return;
        }

        apply(instance);
        if (ttl != 0)
        {
            instance.Refresh(_time.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(ttl, MaxTtl.TotalSeconds)));
        }
    }

    private Instance? TryAdd(string name, IPAddress source)
    {
        if (_instances.Count >= MaxInstances || _instances.Values.Count(i => i.Source.Equals(source)) >= MaxInstancesPerSource)
        {
            return null;
        }

        var instance = new Instance(source, _time.GetUtcNow() + MaxTtl);
        _instances[name] = instance;
        return instance;
    }

    private void AddAddress(Instance owner, AddressRecord address)
    {
        IPAddress ip = LocalInterfaces.Canonical(address.Address);
        if (address.Ttl == 0)
        {
            owner.Addresses.Remove(ip);
        }
        else if (!owner.Addresses.Contains(ip) && owner.Addresses.Count < MaxAddressesPerHost)
        {
            owner.Addresses.Add(ip);
        }
    }

    private void Expire()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (string name in _instances.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList())
        {
            _instances.Remove(name);
        }
    }

    private IEnumerable<IPEndPoint> Endpoints(Instance instance)
    {
        if (instance.Txt is null || !IsOurs(instance.Txt) || instance.Srv is not { Port: > 0 } srv)
        {
            return [];
        }

        return instance.Addresses.Where(IsAcceptable).Select(a => new IPEndPoint(a, srv.Port));
    }

    private bool IsOurs(TxtRecord txt) =>
        txt.TryGetValue("v", out string version) && version == MdnsResponder.ProtocolVersion
        && txt.TryGetValue("np", out string np) && uint.TryParse(np, NumberStyles.None, CultureInfo.InvariantCulture, out _)
        && (_nameplate is null || np == _nameplate);

    private static bool IsInstanceName(string name) =>
        name.Length > MdnsResponder.ServiceType.Length + 1
        && name.EndsWith("." + MdnsResponder.ServiceType, StringComparison.OrdinalIgnoreCase);

    private sealed class Instance(IPAddress source, DateTimeOffset expiresAt)
    {
        public IPAddress Source { get; } = source;

        public DateTimeOffset ExpiresAt { get; private set; } = expiresAt;

        public SrvRecord? Srv { get; set; }

        public TxtRecord? Txt { get; set; }

        /// <summary>Addresses of the SRV target, as its owner announced them.</summary>
        public List<IPAddress> Addresses { get; } = [];

        public void Refresh(DateTimeOffset until) => ExpiresAt = until;
    }
}
