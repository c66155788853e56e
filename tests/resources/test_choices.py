"""The three enumerations carry the seeds' exact value strings and usable labels."""

from __future__ import annotations

from enum import StrEnum

import pytest

from tenantpilot.resources.choices import BindingStatus, LabeledChoices, ResolutionMode, SubjectClass, SupportLevel


def test_binding_status_values_are_seed_381s():
    assert BindingStatus.values() == ("active", "superseded", "revoked")


def test_resolution_mode_values_are_seed_381s_eight():
    assert ResolutionMode.values() == (
        "exact_provider_identity",
        "canonical_builtin",
        "canonical_virtual_target",
        "manual_binding",
        "excluded_non_governed",
        "accepted_limitation",
        "unsupported_coverage",
        "missing_expected",
    )


def test_subject_class_values_are_seed_380s_eight():
    assert SubjectClass.values() == (
        "policy",
        "foundation",
        "assignment_target",
        "virtual_assignment_target",
        "provider_builtin",
        "provider_default",
        "unsupported",
        "unknown",
    )


@pytest.mark.parametrize("enum", [BindingStatus, ResolutionMode, SubjectClass, SupportLevel])
def test_choices_are_str_enums_with_labels_in_django_shape(enum):
    assert issubclass(enum, StrEnum)
    pairs = [(m.value, m.label) for m in enum]
    assert enum.choices() == pairs
    assert all(isinstance(v, str) and isinstance(label, str) and label for v, label in pairs)
    for member in enum:
        assert member == member.value
        assert enum(member.value) is member
        assert f"{member}" == member.value


def test_unknown_value_is_refused():
    with pytest.raises(ValueError):
        ResolutionMode("auto_matched")


def test_member_without_label_is_refused():
    with pytest.raises(ValueError, match="label"):

        class Broken(LabeledChoices):
            NO_LABEL = "no_label"


def test_terminal_statuses_and_operator_decision_modes():
    assert BindingStatus.terminal() == {BindingStatus.SUPERSEDED, BindingStatus.REVOKED}
    assert ResolutionMode.CANONICAL_BUILTIN not in ResolutionMode.operator_decisions()
    assert ResolutionMode.MANUAL_BINDING in ResolutionMode.operator_decisions()
