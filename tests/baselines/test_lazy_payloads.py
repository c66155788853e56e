"""Compare keeps normalized payloads as canonical text and parses one only when a diff reads it."""

from __future__ import annotations

from tenantpilot.baselines.compare import diff
from tenantpilot.baselines.normalize import canonical_json, content_hash
from tenantpilot.baselines.operation_handlers import LazyJSON, _hashed

BASELINE = {"name": "WIN - Compliance", "settings": [{"id": "a", "value": 1}], "flag": True}
TARGET = {"name": "WIN - Compliance", "settings": [{"id": "a", "value": 2}], "flag": True}


def test_lazy_json_reads_like_the_object_it_was_made_from():
    lazy = LazyJSON(canonical_json(BASELINE))
    assert dict(lazy) == BASELINE and len(lazy) == 3 and lazy["flag"] is True


def test_diff_of_a_lazy_baseline_equals_the_diff_of_the_object():
    assert diff(LazyJSON(canonical_json(BASELINE)), TARGET) == diff(BASELINE, TARGET)
    assert diff(LazyJSON(canonical_json(BASELINE)), LazyJSON(canonical_json(TARGET))) == diff(BASELINE, TARGET)
    assert diff(BASELINE, TARGET), "the example must differ"


def test_hashed_gives_the_content_hash_whether_lazy_or_not():
    for lazy in (False, True):
        kept, digest = _hashed(BASELINE, lazy=lazy)
        assert digest == content_hash(BASELINE)
        assert dict(kept) == BASELINE
    assert isinstance(_hashed(BASELINE, lazy=True)[0], LazyJSON)
