"""TLS and transport failures become clear sentences (no registry server needed)."""

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from desktop_app.sync.api_client import (
    ApiClient,
    ApiError,
    NetworkError,
    TlsError,
    parse_retry_after,
)


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        payload = b'{"status": "ok", "version": "test"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tiny HTTPS server whose certificate names only registry.example and 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("registry.example", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_path
    finally:
        server.shutdown()
        server.server_close()


def test_plain_http_is_refused_unless_allowed() -> None:
    with pytest.raises(ApiError, match="https://"):
        ApiClient("http://registry.example")
    ApiClient("http://127.0.0.1:9", allow_insecure_http=True).close()


def test_a_trusted_certificate_works(tls_server: tuple[str, Path]) -> None:
    url, ca_path = tls_server
    with ApiClient(url, ca_bundle=str(ca_path), timeout=5) as api:
        assert api.health()["status"] == "ok"


def test_an_untrusted_certificate_is_refused(tls_server: tuple[str, Path]) -> None:
    url, _ = tls_server
    with ApiClient(url, timeout=5) as api, pytest.raises(TlsError) as caught:
        api.health()
    assert "does not trust" in caught.value.message
    assert "ca_bundle" in caught.value.message


def test_a_certificate_for_another_host_is_refused(tls_server: tuple[str, Path]) -> None:
    url, ca_path = tls_server
    # "localhost" reaches the same server, but its certificate does not name it.
    other_host = url.replace("127.0.0.1", "localhost")
    with (
        ApiClient(other_host, ca_bundle=str(ca_path), timeout=5) as api,
        pytest.raises(TlsError) as caught,
    ):
        api.health()
    assert "not valid for the host name localhost" in caught.value.message


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    with (
        ApiClient(f"https://127.0.0.1:{port}", timeout=2) as api,
        pytest.raises(NetworkError) as caught,
    ):
        api.health()
    assert not isinstance(caught.value, TlsError)
    assert caught.value.message.startswith("The registry server cannot be reached.")


def test_a_missing_ca_bundle_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TlsError, match="ca_bundle"):
        ApiClient("https://127.0.0.1:1", ca_bundle=str(tmp_path / "missing.pem"))


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
