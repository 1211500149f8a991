// What a browser has learned about _tallow._tcp.local instances (RFC 6763 §4 PTR → instance,
// §5 SRV + TXT, RFC 6762 §10.1 TTL 0 = goodbye). Pure: fed parsed responses, no sockets.
// Invariants: bounded (MaxInstances instances, MaxHosts hosts, MaxAddressesPerHost each); an
// instance matches only with TXT v=1 and np equal to our nameplate (canonical decimal), an SRV
// port in 1..65535 and at least one acceptable address (not unspecified, multicast, broadcast or
// IPv6 link-local; loopback only when allowed).
using System.Globalization;
using System.Net;

namespace Tallow.Net.Discovery;

internal sealed class MdnsBrowseCache
{
    public const int MaxInstances = 32;
    public const int MaxHosts = 32;
    public const int MaxAddressesPerHost = 16;
    public const int MaxFollowUpQuestions = 16;

    private readonly string _nameplate;
    private readonly bool _allowLoopback;
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> _hosts = new(StringComparer.OrdinalIgnoreCase);

    public MdnsBrowseCache(uint nameplate, bool allowLoopback)
    {
        _nameplate = nameplate.ToString(CultureInfo.InvariantCulture);
        _allowLoopback = allowLoopback;
    }

    public int InstanceCount => _instances.Count;

    public bool HasMatch => _instances.Values.Any(i => Endpoints(i).Any());

    /// <summary>Takes in every record of a response: PTR/SRV/TXT first, then addresses of known SRV targets.</summary>
    public void Add(DnsMessage response)
    {
        if (!response.IsResponse)
        {
            return;
        }

        List<DnsRecord> records = [.. response.Answers, .. response.Additionals];
        foreach (DnsRecord record in records)
        {
            switch (record)
            {
                case PtrRecord ptr when DnsName.NameEquals(ptr.Name, MdnsResponder.ServiceType) && IsInstanceName(ptr.Target):
                    if (ptr.Ttl == 0)
                    {
                        _instances.Remove(ptr.Target);
                    }
                    else
                    {
                        _ = GetOrAdd(ptr.Target);
                    }

                    break;
                case SrvRecord srv when IsInstanceName(srv.Name):
                    if ((srv.Ttl == 0 ? _instances.GetValueOrDefault(srv.Name) : GetOrAdd(srv.Name)) is { } withSrv)
                    {
                        withSrv.Srv = srv.Ttl == 0 ? null : srv;
                    }

                    break;
                case TxtRecord txt when IsInstanceName(txt.Name):
                    if ((txt.Ttl == 0 ? _instances.GetValueOrDefault(txt.Name) : GetOrAdd(txt.Name)) is { } withTxt)
                    {
                        withTxt.Txt = txt.Ttl == 0 ? null : txt;
                    }

                    break;
            }
        }

        foreach (AddressRecord address in records.OfType<AddressRecord>())
        {
            if (!_instances.Values.Any(i => i.Srv is { } s && DnsName.NameEquals(s.Target, address.Name)))
            {
                continue;
            }

            if (!_hosts.TryGetValue(address.Name, out List<IPAddress>? list))
            {
                if (_hosts.Count >= MaxHosts)
                {
                    continue;
                }

                list = [];
                _hosts[address.Name] = list;
            }

            IPAddress ip = LocalInterfaces.Canonical(address.Address);
            if (address.Ttl == 0)
            {
                list.Remove(ip);
            }
            else if (!list.Contains(ip) && list.Count < MaxAddressesPerHost)
            {
                list.Add(ip);
            }
        }
    }

    /// <summary>Relay endpoints of every matching instance, deduplicated, in discovery order.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints() => [.. _instances.Values.SelectMany(Endpoints).Distinct()];

    /// <summary>SRV/TXT questions for instances still missing them and A/AAAA for targets without addresses.</summary>
    public IReadOnlyList<DnsQuestion> FollowUpQuestions()
    {
        var questions = new List<DnsQuestion>();
        foreach ((string name, Instance instance) in _instances)
        {
            if (instance.Txt is null)
            {
                questions.Add(new DnsQuestion(name, DnsType.Txt));
            }
            else if (!IsOurs(instance.Txt))
            {
                continue;
            }

            if (instance.Srv is null)
            {
                questions.Add(new DnsQuestion(name, DnsType.Srv));
            }
            else if (!_hosts.TryGetValue(instance.Srv.Target, out List<IPAddress>? list) || list.Count == 0)
            {
                questions.Add(new DnsQuestion(instance.Srv.Target, DnsType.A));
                questions.Add(new DnsQuestion(instance.Srv.Target, DnsType.Aaaa));
            }
        }

        return [.. questions.Take(MaxFollowUpQuestions)];
    }

    public bool IsAcceptable(IPAddress address) =>
        !LocalInterfaces.IsUnusable(address) && (_allowLoopback || !IPAddress.IsLoopback(address));

    private IEnumerable<IPEndPoint> Endpoints(Instance instance)
    {
        if (instance.Txt is null || !IsOurs(instance.Txt) || instance.Srv is not { Port: > 0 } srv
            || !_hosts.TryGetValue(srv.Target, out List<IPAddress>? addresses))
        {
            return [];
        }

        return addresses.Where(IsAcceptable).Select(a => new IPEndPoint(a, srv.Port));
    }

    private bool IsOurs(TxtRecord txt) =>
        txt.TryGetValue("v", out string version) && version == MdnsResponder.ProtocolVersion
        && txt.TryGetValue("np", out string np) && uint.TryParse(np, NumberStyles.None, CultureInfo.InvariantCulture, out _)
        && np == _nameplate;

    private Instance? GetOrAdd(string name)
    {
        if (_instances.TryGetValue(name, out Instance? instance))
        {
            return instance;
        }

        if (_instances.Count >= MaxInstances)
        {
            return null;
        }

        instance = new Instance();
        _instances[name] = instance;
        return instance;
    }

    private static bool IsInstanceName(string name) =>
        name.Length > MdnsResponder.ServiceType.Length + 1
        && name.EndsWith("." + MdnsResponder.ServiceType, StringComparison.OrdinalIgnoreCase);

    private sealed class Instance
    {
        public SrvRecord? Srv { get; set; }

        public TxtRecord? Txt { get; set; }
    }
}
