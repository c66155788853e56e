"""The adapter registry: shipped adapters load lazily; the fake one is never there by default."""

from __future__ import annotations

import pytest

from tenantpilot.resources.adapters import (
    UnknownProvider,
    get_adapter,
    register_adapter,
    registered_providers,
    use_adapter,
)
from tenantpilot.resources.adapters.fake import FakeAdapter
from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter


def test_microsoft_adapter_is_shipped_and_cached():
    adapter = get_adapter("microsoft")
    assert isinstance(adapter, MicrosoftAdapter)
    assert get_adapter("microsoft") is adapter
    assert "microsoft" in registered_providers()


def test_unknown_provider_is_a_lookup_error():
    with pytest.raises(UnknownProvider, match="nope"):
        get_adapter("nope")
    assert issubclass(UnknownProvider, LookupError)


def test_fake_adapter_is_available_only_while_registered():
    with pytest.raises(UnknownProvider):
        get_adapter("fake")
    with use_adapter(FakeAdapter()) as fake:
        assert get_adapter("fake") is fake
        assert "fake" in registered_providers()
    with pytest.raises(UnknownProvider):
        get_adapter("fake")


def test_a_second_adapter_for_a_provider_is_refused():
    with use_adapter(FakeAdapter()), pytest.raises(ValueError, match="already registered"):
        register_adapter(FakeAdapter())
    with pytest.raises(ValueError, match="already registered"):
        register_adapter(MicrosoftAdapter())


def test_use_adapter_restores_the_previous_adapter():
    shipped = get_adapter("microsoft")
    replacement = MicrosoftAdapter()
    with use_adapter(replacement):
        assert get_adapter("microsoft") is replacement
    assert get_adapter("microsoft") is shipped


def test_non_adapters_are_refused():
    class NotAnAdapter:
        provider_key = "imposter"

    with pytest.raises(TypeError):
        register_adapter(NotAnAdapter())  # type: ignore[arg-type]
