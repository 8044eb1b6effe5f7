"""https for the sandbox: a certificate authority made for one run, and where its certificate goes.

PagerDuty's official client refuses any base URL that is not https://, so the sandbox can serve
TLS with a certificate for 127.0.0.1, ::1 and localhost signed by a throw-away authority
(trustme).  The authority's certificate is written to `ca.pem`, the file clients pass as
`verify=`; the private keys never touch the disk.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.x509.oid import NameOID

from harness.errors import ConfigError

CA_FILE = "ca.pem"
# trustme names its authorities' organisation "trustme v<version>"; a ca.pem whose issuer says so
# was written by an earlier sandbox run and may be replaced.
TRUSTME_ORGANISATION = "trustme"
SERVER_NAMES = ("127.0.0.1", "::1", "localhost")


class Authority:
    """A run's certificate authority, its server certificate, and the `ca.pem` clients trust."""

    def __init__(self, cert_dir: Path | None = None) -> None:
        self._authority = trustme.CA()
        self._server_cert = self._authority.issue_cert(*SERVER_NAMES)
        # Without a chosen folder the certificate goes to a temporary one, removed at close.
        self._own_dir: Path | None = None
        if cert_dir is None:
            cert_dir = self._own_dir = Path(tempfile.mkdtemp(prefix="harness-sandbox-tls-"))
        self.ca_path = cert_dir / CA_FILE
        _write_ca(self.ca_path, self._authority.cert_pem.bytes())

    def server_context(self) -> ssl.SSLContext:
        """The server side: the sandbox's certificate chain and key, TLS 1.2 or later."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._server_cert.configure_cert(context)
        return context

    def close(self) -> None:
        """Remove the temporary folder if the authority made one; a chosen folder is left as is."""
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)


def _write_ca(path: Path, pem: bytes) -> None:
    """Write the authority's certificate, refusing to replace a file an earlier run did not write."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not _written_by_a_sandbox(path):
            raise ConfigError(
                f"{path} exists and is not a certificate an earlier sandbox run wrote",
                hint="choose another --cert-dir, or move that file away",
            )
        path.write_bytes(pem)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the sandbox's certificate authority to {path} ({exc.strerror})",
            hint="give --cert-dir a folder you can write to",
        ) from None


def _written_by_a_sandbox(path: Path) -> bool:
    """A regular file holding one PEM certificate whose issuer is a trustme test authority."""
    if not path.is_file() or path.is_symlink():
        return False
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return False
    organisations = certificate.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return any(str(o.value).startswith(TRUSTME_ORGANISATION) for o in organisations)
