"""The diagnosis against real signature mistakes (tests/diagnosis_corpus.py): each is made with the provider's own
library or documented recipe, confirmed to fail with the provider's own verifier, and hooktui must name its true
cause first (by stable cause id, never by prose). Forged signatures and correctly signed events must never get a
specific, fixable cause."""

from __future__ import annotations

import pytest

from hookdeck_tui.signatures import explain, verify_request
from tests.diagnosis_corpus import CONTROL_PROVIDERS, MISTAKES, REPORTS, Received, correctly_signed, forged


def diagnose(case: Received):
    verdict = verify_request(case.request, scheme=case.scheme, secrets=case.secrets, options=case.options,
                             now=case.now)
    diagnosis = explain(case.request, scheme=case.scheme, secrets=case.secrets, options=case.options, now=case.now,
                        candidates=case.candidates, verdict=verdict)
    return verdict, diagnosis


def test_the_corpus_is_large_and_cites_its_reports() -> None:
    assert len(MISTAKES) >= 80
    assert len({m.id for m in MISTAKES}) == len(MISTAKES)
    for mistake in MISTAKES:
        assert REPORTS[mistake.report].startswith("https://")


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_fails_with_the_providers_verifier_and_is_named_first(mistake) -> None:
    case = mistake.build()
    assert case.oracle() is False, "the fault must make the provider's own verifier reject it"
    verdict, diagnosis = diagnose(case)
    assert verdict.status != "valid", verdict.reason
    assert diagnosis.causes, f"{mistake.cause} not found: {diagnosis.lines()}"
    assert mistake.cause in diagnosis.causes[0].ids, [c.ids for c in diagnosis.causes]


def test_at_least_nine_in_ten_named_first() -> None:
    named = 0
    for mistake in MISTAKES:
        _, diagnosis = diagnose(mistake.build())
        named += bool(diagnosis.causes) and mistake.cause in diagnosis.causes[0].ids
    assert named / len(MISTAKES) >= 0.9, f"{named} of {len(MISTAKES)}"


@pytest.mark.parametrize("provider", CONTROL_PROVIDERS)
def test_forged_signature_gets_no_specific_cause(provider: str) -> None:
    case = forged(provider)
    assert case.oracle() is False
    verdict, diagnosis = diagnose(case)
    assert verdict.status == "invalid"
    assert diagnosis.causes == []
    assert diagnosis.headline.startswith(f"none of the {diagnosis.tested} causes tested explains it")
    assert diagnosis.tested > 5 and diagnosis.ruled_out and diagnosis.left
    assert any("a secret other than" in item for item in diagnosis.left)


@pytest.mark.parametrize("provider", CONTROL_PROVIDERS + ("square",))
def test_correctly_signed_event_gets_no_cause(provider: str) -> None:
    case = correctly_signed(provider)
    assert case.oracle() is True
    verdict, diagnosis = diagnose(case)
    assert verdict.status == "valid", verdict.reason
    assert diagnosis.causes == [] and diagnosis.tested == 0
