"""Fixed ids and demo secrets of the shipped fixtures (``graphsim/fixtures``).

All secrets here are demo values for the local simulator only.
"""

# Golden tenant: the reference configuration a baseline is captured from.
GOLDEN_TENANT_ID = "11111111-aaaa-4aaa-8aaa-000000000001"
GOLDEN_DOMAIN = "contosogolden.onmicrosoft.com"
GOLDEN_CLIENT_ID = "a1111111-0000-4000-8000-000000000001"
GOLDEN_CLIENT_SECRET = "gs~Golden.Demo-Secret.0001"  # noqa: S105

# Drifted tenant: the golden policies with some settings changed, one missing, one extra.
DRIFTED_TENANT_ID = "22222222-bbbb-4bbb-8bbb-000000000002"
DRIFTED_DOMAIN = "fabrikamdrift.onmicrosoft.com"
DRIFTED_CLIENT_ID = "a2222222-0000-4000-8000-000000000002"
DRIFTED_CLIENT_SECRET = "gs~Drifted.Demo-Secret.0002"  # noqa: S105

# Duplicates tenant: several policies share a display name (display names are not identity).
DUPLICATES_TENANT_ID = "33333333-cccc-4ccc-8ccc-000000000003"
DUPLICATES_DOMAIN = "northwinddupes.onmicrosoft.com"
DUPLICATES_CLIENT_ID = "a3333333-0000-4000-8000-000000000003"
DUPLICATES_CLIENT_SECRET = "gs~Duplicates.Demo-Secret.0003"  # noqa: S105

# Renamed tenant (folder-per-tenant format): golden content, several policies renamed.
RENAMED_TENANT_ID = "44444444-dddd-4ddd-8ddd-000000000004"
RENAMED_DOMAIN = "tailspinrenamed.onmicrosoft.com"
RENAMED_CLIENT_ID = "a4444444-0000-4000-8000-000000000004"
RENAMED_CLIENT_SECRET = "gs~Renamed.Demo-Secret.0004"  # noqa: S105

# Broken tenant: apps whose connections fail the health check in different ways.
BROKEN_TENANT_ID = "55555555-eeee-4eee-8eee-000000000005"
BROKEN_DOMAIN = "woodgrovebroken.onmicrosoft.com"
BROKEN_EXPIRED_CLIENT_ID = "a5555555-0000-4000-8000-000000000051"  # secret expired -> AADSTS7000222
BROKEN_EXPIRED_CLIENT_SECRET = "gs~Expired.Demo-Secret.0051"  # noqa: S105
BROKEN_NO_CONSENT_CLIENT_ID = "a5555555-0000-4000-8000-000000000052"  # token without roles -> Graph 403
BROKEN_NO_CONSENT_CLIENT_SECRET = "gs~NoConsent.Demo-Secret.0052"  # noqa: S105
BROKEN_NO_SP_CLIENT_ID = "a5555555-0000-4000-8000-000000000053"  # no service principal -> AADSTS7000229
BROKEN_NO_SP_CLIENT_SECRET = "gs~NoSp.Demo-Secret.0053"  # noqa: S105
BROKEN_PARTIAL_CLIENT_ID = "a5555555-0000-4000-8000-000000000054"  # lacks DeviceManagementApps/ManagedDevices
BROKEN_PARTIAL_CLIENT_SECRET = "gs~Partial.Demo-Secret.0054"  # noqa: S105

# The expired app and the no-consent app (also listed above) for health-check demos.
EXPIRED_SECRET_TENANT_ID = BROKEN_TENANT_ID
EXPIRED_SECRET_CLIENT_ID = BROKEN_EXPIRED_CLIENT_ID
EXPIRED_SECRET_CLIENT_SECRET = BROKEN_EXPIRED_CLIENT_SECRET
NO_CONSENT_TENANT_ID = BROKEN_TENANT_ID
NO_CONSENT_CLIENT_ID = BROKEN_NO_CONSENT_CLIENT_ID
NO_CONSENT_CLIENT_SECRET = BROKEN_NO_CONSENT_CLIENT_SECRET

# Read permissions granted to the healthy apps.
READ_PERMISSIONS = (
    "DeviceManagementApps.Read.All",
    "DeviceManagementConfiguration.Read.All",
    "DeviceManagementManagedDevices.Read.All",
    "DeviceManagementRBAC.Read.All",
    "DeviceManagementScripts.Read.All",
    "DeviceManagementServiceConfig.Read.All",
    "Group.Read.All",
    "Organization.Read.All",
    "Policy.Read.All",
)

# Policy ids of the golden tenant that tests and demos refer to.
GOLDEN_DEVICE_RESTRICTIONS_ID = "6c1f0a1e-2c9e-4f1a-9a55-0d0e5d1f3b11"  # windows10GeneralConfiguration
GOLDEN_WIN_COMPLIANCE_ID = "f4eb5cca-8c67-4bd1-9162-6434e34da468"  # windows10CompliancePolicy
GOLDEN_LOGON_BANNER_ID = "1b0cb496-269c-4b28-91da-acb0b42b2155"  # settings catalog, 2 settings
GOLDEN_ADMX_EDGE_ID = "0f3a6d2b-5c1e-4b7a-9d8e-1a2b3c4d5e61"  # groupPolicyConfiguration
GOLDEN_IOS_MAM_ID = "T_5e2b1c4d-8a7f-4e3b-9c1d-2f3a4b5c6d71"  # iosManagedAppProtection

# Shipped fixture tenants, in load order.
ALL_TENANT_IDS = (GOLDEN_TENANT_ID, DRIFTED_TENANT_ID, DUPLICATES_TENANT_ID, RENAMED_TENANT_ID, BROKEN_TENANT_ID)
