"""Feature encodings, node kinds, slugs (spec §1.1.3, §1.2.5; seed C18)."""
import datetime as dt

import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import cantor_decode, cantor_encode, legacy_decode, make_slug, validate_slug
from agp_dash.graphs.encoding import kind_of


@pytest.mark.parametrize("feature, expected", [
    (75466754, (0, 12284)), (999380257, (20, 44686)), (4048875061, (16, 89970)), (4834345259, (25, 98303)),
])
def test_cantor_vectors(feature, expected):
    assert cantor_decode(feature) == expected
    assert cantor_encode(*expected) == feature


def test_cantor_round_trip_large_values():
    for layer, index in [(0, 0), (25, 98303), (3, 2**40), (10**6, 7)]:
        assert cantor_decode(cantor_encode(layer, index)) == (layer, index)


@pytest.mark.parametrize("feature, expected", [(2312237, (23, 12237)), (2, (0, 2))])
def test_legacy_vectors(feature, expected):
    assert legacy_decode(feature) == expected


@pytest.mark.parametrize("feature_type, kind", [
    ("cross layer transcoder", "feature"), ("lorsa", "feature"), ("mlp reconstruction error", "error"),
    ("lorsa error", "error"), ("embedding", "embedding"), ("logit", "logit"), ("bias", "other"),
    ("unknown", "other"),
])
def test_kind_of(feature_type, kind):
    assert kind_of(feature_type) == kind


def test_make_slug_is_neuronpedia_safe():
    when = dt.datetime(2025, 10, 20, 0, 35, 25)
    assert make_slug("<bos>The capital of state containing Dallas is", now=when) == \
        "the-capital-of-state-containing-dallas-20251020-003525"
    slug = make_slug('Q: What is 2+2? "quoted" — ünïcode', now=when)
    assert validate_slug(slug) == slug
    assert slug.startswith("q-what-is-2-2-quoted")
    assert make_slug("!!!", now=when) == "graph-20251020-003525"
    assert len(make_slug("word " * 40, now=when)) <= 40 + 16


@pytest.mark.parametrize("bad", ["", "a", "Has-Upper", "with space", "-lead", "x" * 101, "semi;colon"])
def test_validate_slug_rejects(bad):
    with pytest.raises(InputError, match="slug"):
        validate_slug(bad)
