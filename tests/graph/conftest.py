"""Fixtures for the graph package: a running ``graphsim`` with a few known tenants and apps,
an app certificate made with ``cryptography``, and factories for token providers/clients."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.retry import Deadline, RetryPolicy
from tenantpilot.graph.tokens import (
    ClientCertificateCredential,
    ClientSecretCredential,
    Credential,
    TokenProvider,
)
from tests.support.waits import Sleeps

# A canary: if this string shows up in any message, repr or log record, a secret leaked.
CANARY_SECRET = "CANARY-7c1e-secret-d00d-f00d"

TENANT_ID = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
OTHER_TENANT_ID = "1f1ee39c-3c4b-4e8e-9a55-7a0c3f6d2b10"  # not known to the simulator

APP_FULL = "11111111-aaaa-4aaa-8aaa-000000000001"
APP_CERT = "11111111-aaaa-4aaa-8aaa-000000000002"
APP_EXPIRED = "11111111-aaaa-4aaa-8aaa-000000000003"
APP_NO_SP = "11111111-aaaa-4aaa-8aaa-000000000004"
APP_NO_CONSENT = "11111111-aaaa-4aaa-8aaa-000000000005"
APP_ORG_ONLY = "11111111-aaaa-4aaa-8aaa-000000000006"
APP_UNKNOWN = "11111111-aaaa-4aaa-8aaa-0000000000ff"

EXPIRED_SECRET = "expired-secret-value"

ALL_READ_PERMISSIONS = [
    "Organization.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementApps.Read.All",
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementRBAC.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "Group.Read.All",
]

N_GROUPS = 250  # 3 pages of 100
N_DEVICE_CONFIGURATIONS = 7
N_CONFIGURATION_POLICIES = 45  # 2 pages of 25; 3 $batch chunks of 20
BIG_SETTINGS_POLICY_INDEX = 0  # this policy has 60 settings: 3 pages inside $batch
N_DEVICES = 30


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


@dataclass(frozen=True)
class AppCertificate:
    private_key_pem: str
    public_certificate_pem: str
    thumbprint: str  # SHA-1, hex, upper case

    def credential(self) -> ClientCertificateCredential:
        return ClientCertificateCredential(
            private_key_pem=self.private_key_pem,
            thumbprint=self.thumbprint,
            public_certificate_pem=self.public_certificate_pem,
        )


def make_app_certificate(common_name: str = "tenantpilot-test") -> AppCertificate:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return AppCertificate(key_pem, cert_pem, cert.fingerprint(hashes.SHA1()).hex().upper())


def _app(client_id: str, **overrides: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "clientId": client_id,
        "displayName": f"TenantPilot {client_id[-2:]}",
        "secrets": [{"value": CANARY_SECRET, "expiresAt": "2030-01-01T00:00:00Z"}],
        "certificates": [],
        "grantedPermissions": list(ALL_READ_PERMISSIONS),
        "adminConsented": True,
        "servicePrincipal": True,
    }
    app.update(overrides)
    return app


def _assignment(policy_id: str) -> dict[str, Any]:
    return {
        "id": f"{policy_id}_adadadad-808e-44e2-905a-0b7873a8a531",
        "source": "direct",
        "sourceId": policy_id,
        "target": {
            "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
        },
    }


def _setting(index: int) -> dict[str, Any]:
    return {
        "id": str(index),
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": f"device_vendor_msft_policy_config_test_{index}",
            "settingInstanceTemplateReference": None,
            "choiceSettingValue": {
                "settingValueTemplateReference": None,
                "children": [],
                "value": f"device_vendor_msft_policy_config_test_{index}_1",
            },
        },
    }


def configuration_policy_id(index: int) -> str:
    return _guid("configurationPolicy", index)


def settings_count(index: int) -> int:
    return 60 if index == BIG_SETTINGS_POLICY_INDEX else 1 + index % 3


def build_tenant_doc(cert: AppCertificate) -> dict[str, Any]:
    device_configurations = []
    for i in range(N_DEVICE_CONFIGURATIONS):
        pid = _guid("deviceConfiguration", i)
        device_configurations.append(
            {
                "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                "id": pid,
                "displayName": f"WIN - Device restrictions {i}",
                "description": None,
                "createdDateTime": "2025-09-11T16:18:51Z",
                "lastModifiedDateTime": "2026-01-14T14:02:05Z",
                "version": 1,
                "roleScopeTagIds": ["0"],
                "passwordRequired": True,
                "assignments": [_assignment(pid)],
            }
        )
    configuration_policies = []
    for i in range(N_CONFIGURATION_POLICIES):
        pid = configuration_policy_id(i)
        configuration_policies.append(
            {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
                "id": pid,
                "name": f"WIN - Settings catalog {i}",
                "description": "",
                "platforms": "windows10",
                "technologies": "mdm",
                "settingCount": settings_count(i),
                "isAssigned": True,
                "roleScopeTagIds": ["0"],
                "createdDateTime": "2025-08-12T15:04:11Z",
                "lastModifiedDateTime": "2025-08-12T15:04:11Z",
                "settings": [_setting(s) for s in range(settings_count(i))],
                "assignments": [_assignment(pid)],
            }
        )
    groups = [
        {
            "id": _guid("group", i),
            "displayName": f"Group {i:03d}",
            "description": None,
            "groupTypes": [],
            "securityEnabled": True,
            "mailEnabled": False,
            "mailNickname": f"group{i}",
            "createdDateTime": "2024-01-01T00:00:00Z",
        }
        for i in range(N_GROUPS)
    ]
    states = ["compliant", "noncompliant", "unknown"]
    devices = [
        {
            "id": _guid("device", i),
            "deviceName": f"DESKTOP-{i:04d}",
            "operatingSystem": "Windows",
            "osVersion": "10.0.22631.1",
            "complianceState": states[i % 3],
            "lastSyncDateTime": "2026-01-01T00:00:00Z",
            "enrolledDateTime": "2025-01-01T00:00:00Z",
            "managedDeviceOwnerType": "company",
            "managementAgent": "mdm",
            "userPrincipalName": f"user{i}@contoso.example",
            "azureADDeviceId": _guid("aad-device", i),
            "serialNumber": f"SN{i:06d}",
        }
        for i in range(N_DEVICES)
    ]
    return {
        "tenantId": TENANT_ID,
        "displayName": "Contoso Test",
        "defaultDomain": "contoso-test.onmicrosoft.com",
        "apps": [
            _app(APP_FULL),
            _app(
                APP_CERT,
                secrets=[],
                certificates=[
                    {
                        "thumbprint": cert.thumbprint,
                        "publicCertPem": cert.public_certificate_pem,
                        "expiresAt": "2030-01-01T00:00:00Z",
                    }
                ],
            ),
            _app(APP_EXPIRED, secrets=[{"value": EXPIRED_SECRET, "expiresAt": "2020-01-01T00:00:00Z"}]),
            _app(APP_NO_SP, servicePrincipal=False),
            _app(APP_NO_CONSENT, adminConsented=False),
            _app(APP_ORG_ONLY, grantedPermissions=["Organization.Read.All"]),
        ],
        "collections": {
            "deviceManagement/deviceConfigurations": device_configurations,
            "deviceManagement/configurationPolicies": configuration_policies,
            "groups": groups,
            "deviceManagement/managedDevices": devices,
        },
    }


@pytest.fixture(scope="session")
def app_certificate() -> AppCertificate:
    return make_app_certificate()


@pytest.fixture(scope="session")
def _graphsim_session(app_certificate: AppCertificate) -> Iterator[Any]:
    from graphsim import GraphSimulator

    with GraphSimulator(tenants=[build_tenant_doc(app_certificate)]) as sim:
        yield sim


@pytest.fixture
def graphsim(_graphsim_session: Any) -> Iterator[Any]:
    """The shared simulator with no faults and an empty request log for this test."""
    _graphsim_session.clear_faults()
    _graphsim_session.clear_requests()
    yield _graphsim_session
    _graphsim_session.clear_faults()


@pytest.fixture
def fault_rule() -> Any:
    from graphsim import FaultRule

    return FaultRule


@pytest.fixture
def endpoints(graphsim: Any) -> GraphEndpoints:
    return GraphEndpoints(
        authority_base=graphsim.authority_base, graph_base=graphsim.graph_base, ca_bundle=graphsim.ca_path
    )


@pytest.fixture
def make_provider(endpoints: GraphEndpoints, sleeps: Sleeps) -> Callable[..., TokenProvider]:
    """Token providers whose retry waits go to ``sleeps`` (recorded, never slept)."""

    def make(
        client_id: str = APP_FULL,
        credential: Credential | None = None,
        tenant_id: str = TENANT_ID,
        retry: RetryPolicy | None = None,
    ) -> TokenProvider:
        return TokenProvider(
            endpoints,
            tenant_id=tenant_id,
            client_id=client_id,
            credential=credential or ClientSecretCredential(CANARY_SECRET),
            timeout=10.0,
            retry=retry or RetryPolicy(max_attempts=4, base=0.2, cap=5.0, max_total_seconds=60.0),
            sleep=sleeps,
            clock=sleeps.clock,
            random=lambda: 0.5,
        )

    return make


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(
    endpoints: GraphEndpoints, make_provider: Callable[..., TokenProvider], sleeps: Sleeps
) -> Iterator[Callable[..., GraphClient]]:
    clients: list[GraphClient] = []

    def make(
        client_id: str = APP_FULL,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        random: Callable[[], float] = lambda: 0.5,
        provider: TokenProvider | None = None,
        deadline: Deadline | None = None,
        log_context: str = "",
        on_throttled: Callable[[str], None] | None = None,
    ) -> GraphClient:
        client = GraphClient(
            endpoints,
            provider or make_provider(client_id),
            retry=retry or RetryPolicy(max_attempts=4, base=0.2, cap=5.0, max_total_seconds=60.0),
            timeout=timeout,
            sleep=sleeps,
            random=random,
            clock=sleeps.clock,
            deadline=deadline,
            log_context=log_context,
            on_throttled=on_throttled,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def graph_requests(sim: Any, *, inner: bool = False) -> list[Any]:
    """Requests the simulator saw on the Graph host (outer ones unless ``inner``)."""
    return [r for r in sim.requests if r.host == "graph" and bool(getattr(r, "batch_inner", False)) == inner]


def login_requests(sim: Any, method: str | None = None) -> list[Any]:
    return [r for r in sim.requests if r.host == "login" and (method is None or r.method == method)]
