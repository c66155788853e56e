"""Helpers for provider tests: environments that match the simulator's tenants, certificates."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from graphsim import fixtures_catalog as fx
from tenantpilot.providers import services
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.factories import EnvironmentFactory

CANARY_SECRET = "canary-5ecret-Zq9!never-show-me"


def environment_for(world, tenant_id: str = fx.GOLDEN_TENANT_ID, name: str = "Golden") -> ManagedEnvironment:
    return EnvironmentFactory(workspace=world.a, display_name=name, tenant_id=tenant_id)


def secret_connection(
    world, environment=None, *, client_id=fx.GOLDEN_CLIENT_ID, secret=fx.GOLDEN_CLIENT_SECRET, name="Graph"
):
    environment = environment or environment_for(world)
    return services.connection_create(
        actor=world.owner,
        environment=environment,
        display_name=name,
        entra_tenant_id=environment.tenant_id,
        client_id=client_id,
        auth_type="client_secret",
        client_secret=secret,
    )


def make_certificate(*, days: int = 365, password: bytes | None = None) -> tuple[bytes, str, str]:
    """A self-signed RSA certificate + key as one PEM bundle; returns (bundle, cert_pem, sha1 thumbprint)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TenantPilot test")])
    now = dt.datetime.now(tz=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=2))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return cert_pem + key_pem, cert_pem.decode(), cert.fingerprint(hashes.SHA1()).hex().upper()
