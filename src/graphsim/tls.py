"""Throw-away TLS material: one trustme CA that signs the certificates of both hosts."""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

import trustme


class TlsMaterial:
    """A CA (written to ``ca_path``) and a server certificate for 127.0.0.1 and localhost.

    The CA PEM is written either into a fresh temporary directory (removed by
    :meth:`cleanup`) or into ``ca_dir`` when the caller wants a stable path that another
    process can read.
    """

    def __init__(self, ca_dir: str | os.PathLike[str] | None = None) -> None:
        self._ca = trustme.CA(organization_name="graphsim throw-away CA")
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        if ca_dir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="graphsim-ca-")
            directory = Path(self._tmpdir.name)
        else:
            directory = Path(ca_dir)
            directory.mkdir(parents=True, exist_ok=True)
        self.ca_path = str(directory / "graphsim-ca.pem")
        tmp = self.ca_path + ".tmp"
        self._ca.cert_pem.write_to_path(tmp)
        os.replace(tmp, self.ca_path)

    def server_context(self) -> ssl.SSLContext:
        """An SSL server context presenting the simulator's certificate."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self._cert.configure_cert(ctx)
        return ctx

    def cleanup(self) -> None:
        """Remove the temporary CA directory (a stable ``ca_dir`` is left in place)."""
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
