"""A development TLS certificate: a private CA and a server certificate for this machine.

Made on first start with `cryptography` and reused afterwards. The CA's private key is never
written down: it signs the server certificate once and is gone, so a copied data folder cannot
be used to mint certificates for other names. Clients trust the CA file (`ca_path`).
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from registry_server.private_files import private_folder

log = logging.getLogger(__name__)

CA_FILE = "dev-ca.pem"
CERT_FILE = "server-cert.pem"
KEY_FILE = "server-key.pem"
HOSTNAMES = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
# Renew when less than this is left, so a running demo never meets an expired certificate.
_RENEW_BEFORE = datetime.timedelta(days=30)


def ensure_dev_certificate(data_dir: Path) -> tuple[Path, Path, Path]:
    """(ca_path, cert_path, key_path) under `data_dir/tls`, made if missing or nearly expired."""
    folder = Path(data_dir) / "tls"
    paths = (folder / CA_FILE, folder / CERT_FILE, folder / KEY_FILE)
    if _still_good(*paths):
        return paths
    private_folder(folder)
    _make(*paths)
    log.info("Made a development TLS certificate; clients must trust %s", paths[0])
    return paths


def _still_good(ca_path: Path, cert_path: Path, key_path: Path) -> bool:
    if not (ca_path.is_file() and cert_path.is_file() and key_path.is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    now = datetime.datetime.now(datetime.UTC)
    return cert.not_valid_after_utc - now > _RENEW_BEFORE and _public_der(
        cert.public_key()
    ) == _public_der(key.public_key())


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Registry server (development)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _make(ca_path: Path, cert_path: Path, key_path: Path) -> None:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"Registry development CA {now:%Y-%m-%d %H:%M}")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(h) for h in HOSTNAMES] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=397))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        mode=0o600,
    )
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    _write(ca_path, ca_cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    # Created with its final mode, so the key is never readable by others, not even briefly.
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)  # the umask may have narrowed it; make it exact
    os.replace(tmp, path)
