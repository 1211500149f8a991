// The relay's TLS certificate (DESIGN.md §5.8): loaded from PEM files, or a self-signed one made
// at start (ECDSA P-256, valid one year, SAN = the bind IP, localhost and 127.0.0.1/::1) whose
// SHA-256 fingerprint clients pin with --relay-fingerprint. TLS only hides metadata (nameplates,
// the Auth exchange) from the network; end-to-end security never depends on it.
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tallow.Wire;

namespace Tallow.Relay;

public static class RelayCertificate
{
    /// <summary>Loads a certificate and its private key from PEM files (the key may be PKCS#8, SEC1 or PKCS#1).</summary>
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        if (!pem.HasPrivateKey)
        {
            throw new CryptographicException("the key file does not hold the certificate's private key");
        }

        return Portable(pem);
    }

    /// <summary>A fresh self-signed server certificate for <paramref name="bind"/>.</summary>
    public static X509Certificate2 CreateSelfSigned(IPAddress bind, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(time);
        bool wildcard = bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any);
        string commonName = wildcard ? "tallow-relay" : bind.ToString();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddDnsName("tallow-relay");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (!wildcard && !IPAddress.IsLoopback(bind))
        {
            san.AddIpAddress(bind);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        DateTimeOffset now = time.GetUtcNow();
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
        return Portable(created);
    }

    /// <summary>The certificate's SHA-256 fingerprint in the printed form (AB:CD:…).</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return CertificateFingerprint.Format(CertificateFingerprint.Compute(certificate.RawData));
    }

    /// <summary>Writes the certificate and its private key as PEM (the key file readable by the owner only where supported).</summary>
    public static void SavePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new CryptographicException("only ECDSA certificates with a private key can be saved");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using (FileStream stream = OperatingSystem.IsWindows()
            ? new FileStream(keyPath, FileMode.Create, FileAccess.Write)
            : new FileStream(keyPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
    }

    // Ephemeral (PEM-loaded or freshly made) keys do not work with SslStream on every platform;
    // a PKCS#12 round trip gives a certificate whose key SslStream can use everywhere.
    private static X509Certificate2 Portable(X509Certificate2 certificate)
    {
        byte[] pfx = certificate.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }
}
