"""Certificates a hospital network can get wrong, made with trustme for TLS tests.

    hospital = CertAuthority(tmp_path / "pki", "hospital")  # hospital.ca_path: PEM to trust
    good = hospital.issue("good", "127.0.0.1", "localhost")
    other_host = hospital.issue("other-host", "registry.example")
    expired = hospital.issue("expired", "127.0.0.1", valid=expired_window())
    with LiveServer(data_dir, tls=expired.tls) as server: ...

Every file is written under the authority's folder; nothing touches the system trust store.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import trustme

Window = tuple[datetime.datetime, datetime.datetime]  # (not_before, not_after), aware, UTC


@dataclass(frozen=True)
class ServerCert:
    """A server certificate (with its chain) and key as PEM files, and the CA that issued it."""

    ca_path: Path
    chain_path: Path
    key_path: Path

    @property
    def tls(self) -> tuple[Path, Path, Path]:
        """As `LiveServer(..., tls=...)` takes it."""
        return self.ca_path, self.chain_path, self.key_path


class CertAuthority:
    """A certificate authority of its own (a hospital's, or one nobody trusts)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self._ca = trustme.CA(organization_name=f"{name} test CA")
        self.ca_path = self.folder / f"{name}-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_path))

    def issue(self, name: str, *identities: str, valid: Window | None = None) -> ServerCert:
        """A server certificate for the host names / IP addresses `identities`."""
        not_before, not_after = valid or (None, None)
        cert = self._ca.issue_cert(*identities, not_before=not_before, not_after=not_after)
        chain = self.folder / f"{self.name}-{name}-chain.pem"
        key = self.folder / f"{self.name}-{name}-key.pem"
        for i, blob in enumerate(cert.cert_chain_pems):
            blob.write_to_path(str(chain), append=i > 0)
        cert.private_key_pem.write_to_path(str(key))
        return ServerCert(self.ca_path, chain, key)


def expired_window(now: datetime.datetime | None = None) -> Window:
    """Valid for a month that ended yesterday."""
    now = now or datetime.datetime.now(datetime.UTC)
    return now - datetime.timedelta(days=31), now - datetime.timedelta(days=1)


def future_window(now: datetime.datetime | None = None) -> Window:
    """Valid from tomorrow on (what a PC whose clock lags behind sees)."""
    now = now or datetime.datetime.now(datetime.UTC)
    return now + datetime.timedelta(days=1), now + datetime.timedelta(days=365)
