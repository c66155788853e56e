"""CanonicalSubjectKey: the seed's forms, lossless round trip, clear refusals, no name input."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.resources.choices import SubjectClass
from tenantpilot.resources.identity import ResourceIdentity
from tenantpilot.resources.keys import CanonicalSubjectKey, InvalidSubjectKey, KeyKind, escape_segment, unescape_segment


def _tenant_owned(resource_id: str = "w-1", resource_type: str = "widgets") -> ResourceIdentity:
    return ResourceIdentity(
        provider_key="fake", resource_type=resource_type, provider_resource_id=resource_id, is_tenant_owned=True
    )


def _builtin(discriminator: str, *, resource_id: str = "acct::sys", default: bool = False) -> ResourceIdentity:
    return ResourceIdentity(
        provider_key="fake",
        resource_type="widgets",
        provider_resource_id=resource_id,
        discriminator=discriminator,
        is_builtin=True,
        is_default=default,
    )


def test_seed_key_forms():
    assert str(CanonicalSubjectKey.policy("fake", "widgets", "w-1")) == "provider:fake:policy:widgets:w-1"
    assert str(CanonicalSubjectKey.foundation("fake", "gizmos", "g-1")) == "provider:fake:foundation:gizmos:g-1"
    assert str(CanonicalSubjectKey.builtin("fake", "widgets/base")) == "provider:fake:builtin:widgets/base"
    assert str(CanonicalSubjectKey.virtual_target("fake", "aud/all")) == "provider:fake:virtual-target:aud/all"


def test_key_needs_no_display_name():
    key = CanonicalSubjectKey.for_identity(_tenant_owned(), SubjectClass.POLICY)
    assert key == CanonicalSubjectKey.policy("fake", "widgets", "w-1")
    for constructor in (
        CanonicalSubjectKey.policy,
        CanonicalSubjectKey.foundation,
        CanonicalSubjectKey.builtin,
        CanonicalSubjectKey.virtual_target,
        CanonicalSubjectKey.for_identity,
    ):
        params = inspect.signature(constructor).parameters
        assert not any("name" in p or "label" in p for p in params)


def test_key_includes_provider_class_and_type():
    text = str(CanonicalSubjectKey.for_identity(_tenant_owned(resource_type="widgets"), SubjectClass.POLICY))
    prefix, provider, kind, resource_type, _ = text.split(":")
    assert (prefix, provider, kind, resource_type) == ("provider", "fake", "policy", "widgets")
    foundation = CanonicalSubjectKey.for_identity(_tenant_owned(resource_type="gizmos"), SubjectClass.FOUNDATION)
    assert str(foundation).startswith("provider:fake:foundation:gizmos:")


@pytest.mark.parametrize(
    ("subject_class", "kind"),
    [
        (SubjectClass.POLICY, KeyKind.POLICY),
        (SubjectClass.FOUNDATION, KeyKind.FOUNDATION),
        (SubjectClass.ASSIGNMENT_TARGET, KeyKind.FOUNDATION),
        (SubjectClass.UNSUPPORTED, KeyKind.POLICY),
        (SubjectClass.UNKNOWN, KeyKind.POLICY),
    ],
)
def test_subject_class_picks_the_key_form_for_exact_identities(subject_class, kind):
    assert CanonicalSubjectKey.for_identity(_tenant_owned(), subject_class).kind is kind


def test_builtin_and_tenant_owned_keys_never_collide_even_with_equal_ids():
    same = "widgets/base"
    tenant = CanonicalSubjectKey.for_identity(_tenant_owned(resource_id=same), SubjectClass.POLICY)
    builtin = CanonicalSubjectKey.for_identity(_builtin(same, resource_id=same), SubjectClass.PROVIDER_BUILTIN)
    assert tenant != builtin
    assert str(tenant) != str(builtin)
    assert builtin.kind is KeyKind.BUILTIN


def test_builtin_key_ignores_the_tenant_specific_id():
    one = CanonicalSubjectKey.for_identity(
        _builtin("widgets/base", resource_id="acct-1::sys"), SubjectClass.PROVIDER_BUILTIN
    )
    two = CanonicalSubjectKey.for_identity(
        _builtin("widgets/base", resource_id="acct-2::sys"), SubjectClass.PROVIDER_BUILTIN
    )
    assert one == two


def test_builtin_identity_keeps_the_builtin_form_under_any_subject_class():
    key = CanonicalSubjectKey.for_identity(_builtin("widgets/base"), SubjectClass.POLICY)
    assert key.kind is KeyKind.BUILTIN


@pytest.mark.parametrize(
    ("identity", "subject_class"),
    [
        (_tenant_owned(), SubjectClass.PROVIDER_BUILTIN),
        (_tenant_owned(), SubjectClass.PROVIDER_DEFAULT),
        (_builtin("widgets/base"), SubjectClass.PROVIDER_DEFAULT),
        (_tenant_owned(), SubjectClass.VIRTUAL_ASSIGNMENT_TARGET),
    ],
)
def test_subject_class_contradicting_the_identity_is_refused(identity, subject_class):
    with pytest.raises(ValueError):
        CanonicalSubjectKey.for_identity(identity, subject_class)


@pytest.mark.parametrize(
    "resource_id",
    [
        "plain",
        "a:b",
        "a::b:",
        "100%",
        "%3A",
        "%25",
        "ünïcødé-ポリシー",
        "emoji 🛡️",
        "line\nbreak",
        "nul\x00",
        "tab\t",
        "a/b?c#d",
    ],
)
def test_round_trip_with_awkward_ids(resource_id):
    key = CanonicalSubjectKey.policy("fake", "type:with:colons", resource_id)
    text = str(key)
    assert CanonicalSubjectKey.parse(text) == key
    assert str(CanonicalSubjectKey.parse(text)) == text
    assert "\n" not in text and "\x00" not in text
    assert text.count(":") == 4


def test_escaping_is_minimal_and_readable():
    assert escape_segment("a:b%c") == "a%3Ab%25c"
    assert escape_segment("ポリシー/x y") == "ポリシー/x y"
    assert unescape_segment("a%3Ab%25c") == "a:b%c"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "not a canonical subject key"),
        ("policy:widgets:w-1", "not a canonical subject key"),
        ("provider:fake", "not a canonical subject key"),
        ("tenant:fake:policy:widgets:w-1", "not a canonical subject key"),
        ("provider:Fake:policy:widgets:w-1", "provider key"),
        ("provider::policy:widgets:w-1", "provider key"),
        ("provider:fake:setting:widgets:w-1", "unknown key kind"),
        ("provider:fake:policy:widgets", "ends with"),
        ("provider:fake:policy:widgets:w:1", "ends with"),
        ("provider:fake:builtin:a:b", "ends with"),
        ("provider:fake:policy::w-1", "empty segment"),
        ("provider:fake:builtin:", "empty segment"),
        ("provider:fake:policy:widgets:100%", "invalid escape"),
        ("provider:fake:policy:widgets:%zz", "invalid escape"),
        ("provider:fake:policy:widgets:%3a", "invalid escape"),
        ("provider:fake:policy:widgets:%41", "invalid escape"),
        ("provider:fake:policy:widgets:line\nbreak", "unescaped character"),
    ],
)
def test_malformed_keys_are_refused_with_a_clear_value_error(text, fragment):
    with pytest.raises(ValueError, match=fragment) as excinfo:
        CanonicalSubjectKey.parse(text)
    assert isinstance(excinfo.value, InvalidSubjectKey)


def test_parse_refuses_non_strings():
    with pytest.raises(InvalidSubjectKey):
        CanonicalSubjectKey.parse(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": KeyKind.POLICY, "resource_type": "widgets"},
        {"kind": KeyKind.POLICY, "resource_type": "widgets", "provider_resource_id": "w", "discriminator": "d"},
        {"kind": KeyKind.BUILTIN},
        {"kind": KeyKind.BUILTIN, "discriminator": "d", "resource_type": "widgets"},
        {"kind": "nonsense", "discriminator": "d"},
    ],
)
def test_inconsistent_key_fields_are_refused(kwargs):
    with pytest.raises(ValueError):
        CanonicalSubjectKey("fake", **kwargs)


# -- properties -------------------------------------------------------------------------

segments = st.text(min_size=1, max_size=40)
provider_keys = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)


@st.composite
def keys(draw: st.DrawFn) -> CanonicalSubjectKey:
    provider = draw(provider_keys)
    kind = draw(st.sampled_from(KeyKind))
    if kind.is_typed:
        return CanonicalSubjectKey(provider, kind, resource_type=draw(segments), provider_resource_id=draw(segments))
    return CanonicalSubjectKey(provider, kind, discriminator=draw(segments))


@given(keys())
def test_property_round_trip(key):
    text = str(key)
    parsed = CanonicalSubjectKey.parse(text)
    assert parsed == key
    assert str(parsed) == text


@given(keys(), keys())
def test_property_injective(one, two):
    assert (one == two) == (str(one) == str(two))


@given(keys())
def test_property_deterministic(key):
    rebuilt = CanonicalSubjectKey(
        key.provider_key, key.kind, key.resource_type, key.provider_resource_id, key.discriminator
    )
    assert str(rebuilt) == str(key)
    assert hash(rebuilt) == hash(key)


@given(segments, segments)
def test_property_builtin_never_equals_tenant_owned(resource_type, value):
    policy = CanonicalSubjectKey.policy("fake", resource_type, value)
    foundation = CanonicalSubjectKey.foundation("fake", resource_type, value)
    builtin = CanonicalSubjectKey.builtin("fake", value)
    virtual = CanonicalSubjectKey.virtual_target("fake", value)
    assert len({str(policy), str(foundation), str(builtin), str(virtual)}) == 4


@given(st.text(max_size=60))
def test_property_parse_accepts_only_canonical_spellings(text):
    try:
        parsed = CanonicalSubjectKey.parse(text)
    except ValueError:
        return
    assert str(parsed) == text


@given(segments)
def test_property_segment_escape_round_trip(text):
    escaped = escape_segment(text)
    assert ":" not in escaped
    assert unescape_segment(escaped) == text


@given(
    st.sampled_from(["policy:", "foundation:", "builtin:", "virtual-target:", "setting:"]),
    st.text(alphabet=st.sampled_from(["a", ":", "%", "3", "A", "2", "5", "\n", "é"]), max_size=12),
)
def test_property_near_valid_keys_parse_only_in_canonical_spelling(kind, tail):
    text = f"provider:fake:{kind}{tail}"
    try:
        parsed = CanonicalSubjectKey.parse(text)
    except ValueError as exc:
        assert isinstance(exc, InvalidSubjectKey)
        return
    assert str(parsed) == text
