"""The development corpus, read as `followup ingest` reads it, held to what it found before.

`bench/extraction_quality.py --write-floors` records, per release, how many of its gold
follow-ups were found and how many proposals were wrong; a change may find more or propose
fewer wrong ones, never the other way round, without the floors being written again (and the
change saying so). The seed release's curated follow-ups are held in `test_ingest.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import extraction_quality as quality  # noqa: E402

CASES = quality.load()
FLOORS = json.loads(quality.FLOORS.read_text(encoding="utf-8"))


def test_every_release_has_a_floor_and_gold_that_reads() -> None:
    assert len(CASES) >= 40
    assert {c.name for c in CASES} == set(FLOORS)
    for case in CASES:
        for gold in case.gold:
            assert gold.sentence in case.text, (case.name, gold.title)
            assert gold.anchor is None or gold.anchor in {g.title for g in case.gold}


@pytest.mark.parametrize("case", CASES, ids=[c.name[:40] for c in CASES])
def test_a_release_keeps_what_it_found(case: quality.Case) -> None:
    result = quality.run(case)
    floor = FLOORS[case.name]
    assert result.found >= floor["found"], [g.title for g in result.missed]
    assert len(result.wrong) <= floor["wrong"], [p.title for p in result.wrong]


def test_the_corpus_as_a_whole() -> None:
    total = quality.Score("total")
    for case in CASES:
        total.add(quality.run(case))
    # The bar the corpus is held to; the figures themselves are in the README.
    assert total.recall >= 0.85 and total.precision >= 0.85
    assert total.share(total.exact) >= 0.9
    assert total.share(total.kind) >= 0.9 and total.share(total.anchor) >= 0.9
