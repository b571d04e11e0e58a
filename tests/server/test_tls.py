"""The development certificate: made once, reused, and good enough for a verifying client."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import httpx
import pytest
import trustme
from cryptography import x509

from registry_server.tls import ensure_dev_certificate
from tests.support.live_server import LiveServer


def test_certificate_is_made_once_and_reused(tmp_path: Path) -> None:
    ca_path, cert_path, key_path = ensure_dev_certificate(tmp_path)

    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    assert {str(a) for a in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    before = [p.read_bytes() for p in (ca_path, cert_path, key_path)]

    assert ensure_dev_certificate(tmp_path) == (ca_path, cert_path, key_path)
    assert [p.read_bytes() for p in (ca_path, cert_path, key_path)] == before


def test_a_damaged_certificate_is_replaced(tmp_path: Path) -> None:
    ca_path, cert_path, _ = ensure_dev_certificate(tmp_path)
    cert_path.write_text("not a certificate")

    ensure_dev_certificate(tmp_path)

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_path.read_bytes()))


def test_server_with_dev_certificate_is_trusted_through_its_ca(tmp_path: Path) -> None:
    tls = ensure_dev_certificate(tmp_path / "server")
    with LiveServer(tmp_path / "server", demo=False, tls=tls) as server:
        trusting = ssl.create_default_context(cafile=str(tls[0]))
        with httpx.Client(base_url=server.url, verify=trusting) as client:
            assert client.get("/api/v1/health").json()["status"] == "ok"
        with httpx.Client(base_url=f"https://localhost:{server.port}", verify=trusting) as client:
            assert client.get("/api/v1/health").status_code == 200

        other_ca = ssl.create_default_context()
        trustme.CA().configure_trust(other_ca)
        with (
            httpx.Client(base_url=server.url, verify=other_ca) as client,
            pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
        ):
            client.get("/api/v1/health")
