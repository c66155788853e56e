"""The credential manager: the only code that encrypts or decrypts provider credentials.

Credentials are JSON documents encrypted with a Fernet key ring (``MultiFernet``): the first
key encrypts, every key decrypts, and ``rotate_credentials`` re-encrypts every stored
credential with the newest key. Keys come from ``TENANTPILOT_CREDENTIAL_KEYS`` (comma-separated,
newest first) or, for the embedded default, from ``var/credential_keys`` (created owner-only on
first use). The decrypted material is handed to ``providers.gateway`` only; its ``repr`` never
shows the secret, and no exception raised here carries it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import OperationFailed

from .choices import AuthType
from .models import ProviderConnection, ProviderCredential

MAX_SECRET_LENGTH = 1024
MAX_CERTIFICATE_BYTES = 64 * 1024
_lock = threading.Lock()


UNDECRYPTABLE_MESSAGE = (
    "The stored secret cannot be decrypted with the configured key ring: restore the key or enter the secret again."
)


class CredentialUnavailable(OperationFailed):
    """The stored credential cannot be used: missing, not decryptable with the key ring (its key
    was removed), or corrupted. Carries no secret.

    It is an ``OperationFailed``: raised inside any operation run (a health check, an inventory
    sync, anything that loads the credential), the run fails with the registered reason
    ``credential_unavailable`` and this actionable message, never as an internal error.
    """

    def __init__(self, message: str = UNDECRYPTABLE_MESSAGE) -> None:
        super().__init__(RunReason.CREDENTIAL_UNAVAILABLE, message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class SecretMaterial:
    """A client secret. ``repr`` hides it."""

    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class CertificateMaterial:
    """A certificate credential: the private key (hidden from ``repr``), the public certificate,
    its SHA-1 thumbprint (hex, what Entra shows) and its expiry."""

    private_key_pem: str = field(repr=False)
    certificate_pem: str
    thumbprint: str
    expires_at: dt.datetime


Material = SecretMaterial | CertificateMaterial


# -- the key ring -----------------------------------------------------------------------


def _key_file() -> Path:
    return Path(settings.VAR_DIR) / "credential_keys"


def _configured_keys() -> list[str]:
    raw = getattr(settings, "TENANTPILOT_CREDENTIAL_KEYS", "") or os.environ.get("TENANTPILOT_CREDENTIAL_KEYS", "")
    return [k.strip() for k in raw.split(",") if k.strip()]


def _read_key_file(create: bool) -> list[str]:
    path = _key_file()
    with _lock:
        if not path.exists():
            if not create:
                return []
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(Fernet.generate_key().decode() + "\n")
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def uses_key_file() -> bool:
    """True when keys come from the embedded key file (not from the environment)."""
    return not _configured_keys()


def key_ring() -> MultiFernet:
    """The configured key ring; the embedded key file is created on first use."""
    keys = _configured_keys() or _read_key_file(create=True)
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured("A credential key is not a valid Fernet key.") from None


def add_key_to_key_file() -> None:
    """Put a fresh key in front of the embedded key file (it becomes the encrypting key)."""
    if _configured_keys():
        raise ImproperlyConfigured(
            "Keys come from TENANTPILOT_CREDENTIAL_KEYS: put the new key first there, then rotate."
        )
    keys = _read_key_file(create=True)
    path = _key_file()
    with _lock:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join([Fernet.generate_key().decode(), *keys]) + "\n")
        os.replace(tmp, path)


def prune_key_file() -> int:
    """Keep only the newest key in the embedded key file; returns how many were dropped."""
    if _configured_keys():
        raise ImproperlyConfigured("Keys come from TENANTPILOT_CREDENTIAL_KEYS: remove old keys there.")
    keys = _read_key_file(create=False)
    if len(keys) <= 1:
        return 0
    path = _key_file()
    with _lock:
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(keys[0] + "\n")
        os.replace(tmp, path)
    return len(keys) - 1


# -- validating what operators type in ---------------------------------------------------


def secret_material(client_secret: str | None) -> SecretMaterial:
    """Validate a client secret as typed (non-empty, bounded); the value is never echoed."""
    value = (client_secret or "").strip()
    if not value:
        raise ValidationFailed("Enter the client secret's value.", field="client_secret")
    if len(value) > MAX_SECRET_LENGTH or any(ord(ch) < 32 for ch in value):
        raise ValidationFailed("This does not look like a client secret value.", field="client_secret")
    return SecretMaterial(value)


def certificate_material(pem_bundle: bytes | str | None, password: str | None = None) -> CertificateMaterial:
    """Parse a PEM bundle holding the certificate and its (optionally encrypted) RSA private key."""
    data = pem_bundle.encode() if isinstance(pem_bundle, str) else (pem_bundle or b"")
    if not data.strip():
        raise ValidationFailed("Upload a PEM file with the certificate and its private key.", field="certificate")
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise ValidationFailed("The certificate file is too large.", field="certificate")
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise ValidationFailed("The file holds no readable PEM certificate.", field="certificate") from None
    try:
        key = serialization.load_pem_private_key(data, password=password.encode() if password else None)
    except TypeError:
        raise ValidationFailed(
            "The private key is encrypted: enter its password (or the password is not needed).",
            field="certificate_password",
        ) from None
    except ValueError:
        raise ValidationFailed(
            "The file holds no readable private key, or the password is wrong.", field="certificate"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationFailed("Entra app certificates need an RSA private key.", field="certificate")
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public.public_numbers() != key.public_key().public_numbers():
        raise ValidationFailed("The private key does not belong to the certificate.", field="certificate")
    expires_at = certificate.not_valid_after_utc
    if expires_at <= dt.datetime.now(tz=dt.UTC):
        raise ValidationFailed("The certificate has expired.", field="certificate")
    return CertificateMaterial(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        thumbprint=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - Entra's thumbprint is SHA-1
        expires_at=expires_at,
    )


# -- storing and reading -----------------------------------------------------------------


def _encrypt(material: Material) -> str:
    if isinstance(material, SecretMaterial):
        document = {"kind": AuthType.CLIENT_SECRET.value, "client_secret": material.client_secret}
    else:
        document = {
            "kind": AuthType.CERTIFICATE.value,
            "private_key_pem": material.private_key_pem,
            "certificate_pem": material.certificate_pem,
            "thumbprint": material.thumbprint,
            "expires_at": material.expires_at.isoformat(),
        }
    return key_ring().encrypt(json.dumps(document).encode()).decode()


def credential_store(connection: ProviderConnection, material: Material) -> ProviderCredential:
    """Encrypt ``material`` into the connection's credential row (create or replace).

    Called by ``providers.services`` inside their transaction; it writes no audit row itself.
    """
    kind = AuthType.CLIENT_SECRET if isinstance(material, SecretMaterial) else AuthType.CERTIFICATE
    credential = ProviderCredential.objects.filter(connection=connection).first() or ProviderCredential(
        connection=connection, workspace_id=connection.workspace_id, environment_id=connection.environment_id
    )
    credential.kind = kind
    credential.ciphertext = _encrypt(material)
    if isinstance(material, CertificateMaterial):
        credential.certificate_thumbprint = material.thumbprint
        credential.certificate_expires_at = material.expires_at
    else:
        credential.certificate_thumbprint = ""
        credential.certificate_expires_at = None
    credential.full_clean(exclude=["ciphertext"])
    credential.save()
    return credential


def credential_material(connection: ProviderConnection) -> Material:
    """Decrypt the connection's credential. Only ``providers.gateway`` calls this."""
    credential = ProviderCredential.objects.filter(connection=connection).first()
    if credential is None:
        raise CredentialUnavailable("The connection has no stored secret: enter the secret again.")
    try:
        document = json.loads(key_ring().decrypt(credential.ciphertext.encode()))
    except (InvalidToken, ValueError):
        raise CredentialUnavailable(UNDECRYPTABLE_MESSAGE) from None
    try:
        if document.get("kind") == AuthType.CLIENT_SECRET:
            return SecretMaterial(str(document["client_secret"]))
        return CertificateMaterial(
            private_key_pem=str(document["private_key_pem"]),
            certificate_pem=str(document["certificate_pem"]),
            thumbprint=str(document["thumbprint"]),
            expires_at=dt.datetime.fromisoformat(document["expires_at"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        # Decrypted, but not a credential document this version understands. Never echo it.
        raise CredentialUnavailable("The stored secret is unreadable: enter the secret again.") from None


def rotate_credentials() -> dict[int, int]:
    """Re-encrypt every credential with the newest key (lossless; all-or-nothing).

    Must run inside the caller's transaction; returns ``{workspace_id: credentials re-encrypted}``.
    """
    ring = key_ring()
    per_workspace: dict[int, int] = {}
    for credential in ProviderCredential.objects.select_for_update().order_by("pk"):
        try:
            rotated = ring.rotate(credential.ciphertext.encode()).decode()
        except InvalidToken:
            raise CredentialUnavailable(
                f"Credential of connection {credential.connection_id} cannot be decrypted with any configured key."
            ) from None
        ProviderCredential.objects.filter(pk=credential.pk).update(ciphertext=rotated)
        per_workspace[credential.workspace_id] = per_workspace.get(credential.workspace_id, 0) + 1
    for store in _SEALED_STORES:
        for workspace_id, count in store(_rotate_sealed).items():
            per_workspace[workspace_id] = per_workspace.get(workspace_id, 0) + count
    return per_workspace


# -- sealed secrets of other apps (e.g. an alert webhook's URL and signing secret) ----------

#: A store of sealed secrets another app keeps (registered in its ``AppConfig.ready``): called by
#: ``rotate_credentials`` with a function that re-seals one token under the newest key; it
#: re-seals every token it holds and returns ``{workspace_id: tokens re-sealed}``.
SealedStore = Callable[[Callable[[str], str]], Mapping[int, int]]
_SEALED_STORES: list[SealedStore] = []


def register_sealed_store(store: SealedStore) -> None:
    """Register ``store`` (idempotent): key rotation re-seals its tokens with the credentials."""
    if store not in _SEALED_STORES:
        _SEALED_STORES.append(store)


def seal_secret(document: Mapping[str, str]) -> str:
    """Encrypt a small JSON document of strings with the credential key ring (the newest key)."""
    return key_ring().encrypt(json.dumps(dict(document)).encode()).decode()


def unseal_secret(token: str) -> dict[str, str]:
    """Decrypt a token made by :func:`seal_secret`. Raises ``CredentialUnavailable`` (no secret in
    it) when no key of the ring opens it or it is not such a document."""
    try:
        document = json.loads(key_ring().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        raise CredentialUnavailable(UNDECRYPTABLE_MESSAGE) from None
    if not isinstance(document, dict) or not all(isinstance(v, str) for v in document.values()):
        raise CredentialUnavailable("The stored secret is unreadable: enter the secret again.")
    return {str(k): v for k, v in document.items()}


def _rotate_sealed(token: str) -> str:
    try:
        return key_ring().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialUnavailable("A sealed secret cannot be decrypted with any configured key.") from None
