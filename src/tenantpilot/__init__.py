"""TenantPilot: a self-hosted governance console for MSPs running many Intune tenants."""
