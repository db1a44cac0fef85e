"""The sandbox Cloud SQL instance's certificates.

Two authorities, as Cloud SQL has: the *server CA* (returned by
``connectSettings``; it signs the TLS proxy's certificate) and the *client CA*
(it signs the ephemeral client certificates of ``generateEphemeralCert``; the
proxy accepts only clients it signed). Keys are ECDSA P-256: quick to make.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANIZATION = "luckyctl sandbox"
CA_LIFETIME = dt.timedelta(days=3650)
SERVER_LIFETIME = dt.timedelta(days=365)
EPHEMERAL_LIFETIME = dt.timedelta(hours=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    os.chmod(path, 0o600)


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    encoding, key_format = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, key_format, serialization.NoEncryption())


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def sha1_fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA1()).hex()


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, common_name: str) -> CertificateAuthority:
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(certificate, key)

    @classmethod
    def load(cls, cert_file: Path, key_file: Path) -> CertificateAuthority:
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_file}: not an EC private key")
        return cls(certificate, key)

    def save(self, cert_file: Path, key_file: Path) -> None:
        cert_file.write_text(pem(self.certificate))
        _write_private(key_file, _private_pem(self.key))

    def issue(
        self,
        public_key: CertificateIssuerPublicKeyTypes,
        common_name: str,
        lifetime: dt.timedelta,
        *,
        server_ips: tuple[str, ...] = (),
        server_dns: tuple[str, ...] = (),
    ) -> x509.Certificate:
        """A leaf certificate: a server one when it names addresses, else a client one."""
        now = _now()
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_ips or server_dns else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + lifetime)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        if server_ips or server_dns:
            names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server_ips]
            names += [x509.DNSName(name) for name in server_dns]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self.key, hashes.SHA256())


@dataclass(frozen=True)
class SandboxPki:
    """The files of the sandbox PKI in one directory."""

    directory: Path

    @property
    def server_ca_cert(self) -> Path:
        return self.directory / "server-ca.pem"

    @property
    def server_ca_key(self) -> Path:
        return self.directory / "server-ca.key"

    @property
    def client_ca_cert(self) -> Path:
        return self.directory / "client-ca.pem"

    @property
    def client_ca_key(self) -> Path:
        return self.directory / "client-ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    def server_ca(self) -> CertificateAuthority:
        return CertificateAuthority.load(self.server_ca_cert, self.server_ca_key)

    def client_ca(self) -> CertificateAuthority:
        return CertificateAuthority.load(self.client_ca_cert, self.client_ca_key)

    def ensure_authorities(self) -> None:
        """Create the two authorities, once."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.server_ca_cert.exists():
            CertificateAuthority.create("Cloud SQL Server CA").save(self.server_ca_cert, self.server_ca_key)
        if not self.client_ca_cert.exists():
            CertificateAuthority.create("Cloud SQL Client CA").save(self.client_ca_cert, self.client_ca_key)

    def issue_server_certificate(self, *, instance_name: str, proxy_host: str, dns_name: str) -> None:
        """The proxy's certificate for its current address, signed by the server CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.server_ca().issue(
            key.public_key(), instance_name, SERVER_LIFETIME, server_ips=(proxy_host,), server_dns=(dns_name,)
        )
        _write_private(self.server_key, _private_pem(key))
        self.server_cert.write_text(pem(certificate))
