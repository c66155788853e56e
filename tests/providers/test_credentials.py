"""The credential store: encrypted at rest, write-only, rotatable without loss."""

from __future__ import annotations

import os
import stat
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.providers import credentials
from tenantpilot.providers.credentials import (
    CertificateMaterial,
    CredentialUnavailable,
    SecretMaterial,
    certificate_material,
    credential_material,
    secret_material,
)
from tenantpilot.providers.models import ProviderCredential
from tests.providers.support import CANARY_SECRET, make_certificate, secret_connection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.TENANTPILOT_CREDENTIAL_KEYS = ""


def test_secret_is_stored_encrypted_and_decrypts_only_through_the_manager(world, tmp_path):
    connection = secret_connection(world, secret=CANARY_SECRET)
    row = ProviderCredential.objects.get(connection=connection)
    assert CANARY_SECRET not in row.ciphertext
    assert CANARY_SECRET not in repr(row) and CANARY_SECRET not in str(row)
    material = credential_material(connection)
    assert isinstance(material, SecretMaterial) and material.client_secret == CANARY_SECRET
    assert CANARY_SECRET not in repr(material)
    key_file = tmp_path / "credential_keys"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_decryption_with_a_foreign_key_fails_without_leaking(world, settings):
    connection = secret_connection(world, secret=CANARY_SECRET)
    settings.TENANTPILOT_CREDENTIAL_KEYS = Fernet.generate_key().decode()
    with pytest.raises(CredentialUnavailable) as exc:
        credential_material(connection)
    assert CANARY_SECRET not in str(exc.value)


def test_rotation_reencrypts_every_credential_with_the_newest_key_without_loss(world, tmp_path):
    first = secret_connection(world, secret=CANARY_SECRET)
    bundle, _, thumbprint = make_certificate()
    from tenantpilot.providers import services

    second = services.connection_create(
        actor=world.owner,
        environment=first.environment,
        display_name="Cert",
        entra_tenant_id=first.entra_tenant_id,
        client_id=first.client_id,
        auth_type="certificate",
        certificate=bundle,
    )
    old_key = (tmp_path / "credential_keys").read_text().split()[0]
    before = dict(ProviderCredential.objects.values_list("pk", "ciphertext"))
    out = StringIO()
    call_command("rotate-credential-key", stdout=out)
    assert "Re-encrypted 2 credentials" in out.getvalue()
    keys = (tmp_path / "credential_keys").read_text().split()
    assert len(keys) == 1 and keys[0] != old_key, "old keys are pruned after a successful rotation"
    after = dict(ProviderCredential.objects.values_list("pk", "ciphertext"))
    assert all(before[pk] != after[pk] for pk in before)
    only_new = Fernet(keys[0].encode())
    for ciphertext in after.values():
        only_new.decrypt(ciphertext.encode())
    assert credential_material(first).client_secret == CANARY_SECRET
    cert = credential_material(second)
    assert isinstance(cert, CertificateMaterial) and cert.thumbprint == thumbprint


def test_rotation_with_keys_from_the_environment_uses_the_first_key(world, settings):
    old = Fernet.generate_key().decode()
    settings.TENANTPILOT_CREDENTIAL_KEYS = old
    connection = secret_connection(world, secret=CANARY_SECRET)
    new = Fernet.generate_key().decode()
    settings.TENANTPILOT_CREDENTIAL_KEYS = f"{new},{old}"
    from django.db import transaction

    with transaction.atomic():
        assert sum(credentials.rotate_credentials().values()) == 1
    settings.TENANTPILOT_CREDENTIAL_KEYS = new
    assert credential_material(connection).client_secret == CANARY_SECRET


@pytest.mark.parametrize("value", ["", "   ", None, "x" * 2000, "line\nbreak"])
def test_secret_validation_names_the_field(value):
    with pytest.raises(ValidationFailed) as exc:
        secret_material(value)
    assert exc.value.field == "client_secret"


def test_certificate_parsing_accepts_a_bundle_and_an_encrypted_key():
    bundle, _, thumbprint = make_certificate()
    assert certificate_material(bundle).thumbprint == thumbprint
    locked, _, locked_thumb = make_certificate(password=b"pw-123")
    assert certificate_material(locked, "pw-123").thumbprint == locked_thumb
    with pytest.raises(ValidationFailed) as exc:
        certificate_material(locked)
    assert exc.value.field == "certificate_password"


@pytest.mark.parametrize(
    "bundle",
    [b"", b"not a pem", make_certificate()[1].encode(), make_certificate(days=-1)[0]],
    ids=["empty", "garbage", "no-key", "expired"],
)
def test_bad_certificates_are_refused_with_a_field_error(bundle):
    with pytest.raises(ValidationFailed) as exc:
        certificate_material(bundle)
    assert exc.value.field == "certificate"


def test_key_of_another_certificate_is_refused():
    _cert_a, cert_pem_a, _ = make_certificate()
    cert_b, _, _ = make_certificate()
    key_b = cert_b[cert_b.index(b"-----BEGIN PRIVATE KEY-----") :]
    with pytest.raises(ValidationFailed, match="does not belong"):
        certificate_material(cert_pem_a.encode() + key_b)
