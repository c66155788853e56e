"""graphsim: a local simulator of the Microsoft identity platform token endpoint and the
Microsoft Graph subset that Intune governance tools read, served over real HTTPS.

Standalone (no Django). See README.md in this package for the fixture format and knobs.
"""

from .faults import FaultRule
from .generator import generate_tenant
from .server import GraphSimulator, LoggedRequest
from .tenants import TenantState, load_tenant

__all__ = ["FaultRule", "GraphSimulator", "LoggedRequest", "TenantState", "generate_tenant", "load_tenant"]
