"""How well `followup ingest` reads releases it was not written for: the corpus, scored.

    python bench/extraction_quality.py [--misses] [--release NN] [--write-floors]

Each release in tests/corpus/ is read as `followup ingest --dry-run` reads it (the text, its
publication date from the file's second line), and its proposals are scored against the
gold written by hand, by the rule in tests/corpus/README.md: a gold item is found by at most
one proposal whose window overlaps (3 days' slack) and whose sentence, or title, shares
enough content words. Per release and in total: recall, precision, exact windows, right kind
and anchor; with --misses, what was missed and what was proposed wrongly.

--write-floors records each release's figures in tests/corpus/floors.json, which the test
suite holds every later change to (found may not fall, wrong proposals may not rise).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.extract import Proposal, propose
from events.reading import read_release, sentences

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
FLOORS = CORPUS / "floors.json"
SLACK = timedelta(days=3)
STOP = {"the", "a", "an", "of", "and", "to", "in", "on", "at", "for", "by", "with", "be",
        "will", "its", "their", "as", "is", "was", "are", "from", "this", "that"}


@dataclass(frozen=True)
class Gold:
    title: str
    kind: str
    earliest: date | None
    latest: date | None
    location: str | None
    anchor: str | None
    sentence: str


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    published: date
    text: str
    gold: tuple[Gold, ...]


def load(corpus: Path = CORPUS) -> list[Case]:
    """Every release of the corpus with its gold, in file order."""
    cases = []
    for path in sorted(corpus.glob("[0-9]*.txt")):
        url, published, text = path.read_text(encoding="utf-8").split("\n", 2)
        raw = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        gold = tuple(Gold(
            title=item["title"], kind=item["kind"],
            earliest=_day(item.get("earliest")), latest=_day(item.get("latest")),
            location=item.get("location"), anchor=item.get("anchor"),
            sentence=item["sentence"]) for item in raw)
        cases.append(Case(path.stem, url.strip(), date.fromisoformat(published.strip()), text,
                          gold))
    return cases


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def jaccard(a: str, b: str) -> float:
    left, right = words(a), words(b)
    return len(left & right) / len(left | right) if left | right else 0.0


def overlaps(gold: Gold, proposal: Proposal) -> bool:
    if gold.earliest is None:
        return True  # an undated item accepts any window
    window = proposal.window
    if window.earliest is None:
        return False
    ends_after_start = window.latest is None or window.latest + SLACK >= gold.earliest
    starts_before_end = gold.latest is None or window.earliest - SLACK <= gold.latest
    return ends_after_start and starts_before_end


def exact(gold: Gold, proposal: Proposal) -> bool:
    window = proposal.window
    if gold.earliest is None or window.earliest is None:
        return gold.earliest is None and window.earliest is None
    if abs((window.earliest - gold.earliest).days) > SLACK.days:
        return False
    if gold.latest is None or window.latest is None:
        return gold.latest is None and window.latest is None
    return abs((window.latest - gold.latest).days) <= SLACK.days


def likeness(gold: Gold, proposal: Proposal) -> float:
    """How surely ``proposal`` speaks of ``gold``; 0 when it cannot be the one."""
    if not overlaps(gold, proposal):
        return 0.0
    score = max(jaccard(gold.sentence, proposal.sentence),
                0.8 * jaccard(gold.title, proposal.title))
    return score if score >= 0.3 else 0.0


@dataclass
class Score:
    name: str
    gold: int = 0
    proposed: int = 0
    found: int = 0
    exact: int = 0
    kind: int = 0
    anchor: int = 0
    missed: list[Gold] = field(default_factory=list)
    wrong: list[Proposal] = field(default_factory=list)
    # Found, but of another kind or tied to an occasion the gold does not (or the other way)
    mismatched: list[tuple[Gold, Proposal]] = field(default_factory=list)
    sentences: int = 0
    seconds: float = 0.0

    def add(self, other: Score) -> None:
        for name in ("gold", "proposed", "found", "exact", "kind", "anchor", "sentences"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.seconds += other.seconds

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.found / self.proposed if self.proposed else 1.0

    def share(self, count: int) -> float:
        return count / self.found if self.found else 1.0


def score(case: Case, proposals: Sequence[Proposal]) -> Score:
    """Match each gold item to at most one proposal, surest pairs first."""
    result = Score(case.name, gold=len(case.gold), proposed=len(proposals))
    # Where two gold items share a sentence, the proposal goes to the one its title is.
    pairs = sorted(((likeness(g, p), jaccard(g.title, p.title), gi, pi)
                    for gi, g in enumerate(case.gold) for pi, p in enumerate(proposals)),
                   key=lambda pair: (-pair[0], -pair[1], pair[2], pair[3]))
    taken_gold: set[int] = set()
    taken_proposal: set[int] = set()
    for value, _, gi, pi in pairs:
        if value <= 0 or gi in taken_gold or pi in taken_proposal:
            continue
        taken_gold.add(gi)
        taken_proposal.add(pi)
        gold, proposal = case.gold[gi], proposals[pi]
        result.found += 1
        result.exact += exact(gold, proposal)
        right_kind = str(proposal.kind) == gold.kind
        right_anchor = (proposal.anchor is not None) == (gold.anchor is not None)
        result.kind += right_kind
        result.anchor += right_anchor
        if not (right_kind and right_anchor):
            result.mismatched.append((gold, proposal))
    result.missed = [g for gi, g in enumerate(case.gold) if gi not in taken_gold]
    result.wrong = [p for pi, p in enumerate(proposals) if pi not in taken_proposal]
    return result


def run(case: Case) -> Score:
    started = time.perf_counter()
    release = read_release(case.text.encode("utf-8"), case.name)
    proposals = propose(release, case.published)
    elapsed = time.perf_counter() - started
    result = score(case, proposals)
    result.sentences = sum(len(sentences(p.text)) for p in release.paragraphs)
    result.seconds = elapsed
    return result


def _row(s: Score) -> str:
    return (f"{s.name[:30]:<30} {s.found:>3}/{s.gold:<3} {s.proposed:>4} {s.recall:>6.2f} "
            f"{s.precision:>6.2f} {s.share(s.exact):>6.2f} {s.share(s.kind):>5.2f} "
            f"{s.share(s.anchor):>5.2f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list misses and wrong proposals")
    parser.add_argument("--release", help="only releases whose name starts with this")
    parser.add_argument("--write-floors", action="store_true",
                        help="record each release's figures as the floor the tests hold")
    args = parser.parse_args(argv)
    if args.write_floors and args.release:
        parser.error("--write-floors records the whole corpus: leave --release out")
    cases = [c for c in load() if not args.release or c.name.startswith(args.release)]
    total = Score("total")
    results = []
    print(f"{'release':<30} {'found':>7} {'prop':>4} {'recall':>6} {'prec':>6} {'exact':>6} "
          f"{'kind':>5} {'anch':>5}")
    for case in cases:
        result = run(case)
        results.append(result)
        total.add(result)
        print(_row(result))
        if args.misses:
            for gold in result.missed:
                print(f"    missed: {gold.title} ({gold.earliest}..{gold.latest}): "
                      f"{gold.sentence[:110]}")
            for proposal in result.wrong:
                print(f"    wrong:  {proposal.title} ({proposal.window.earliest}.."
                      f"{proposal.window.latest}): {proposal.sentence[:110]}")
            for gold, proposal in result.mismatched:
                print(f"    as:     {gold.title}: kind {gold.kind}, anchor {gold.anchor}; "
                      f"proposed {proposal.kind}, anchor {proposal.anchor_name}")
    print("-" * 78)
    print(_row(total))
    print(f"\n{len(cases)} releases, {total.gold} follow-ups in the gold, {total.proposed} "
          f"proposed, {total.found} found")
    print(f"recall {total.recall:.2f} (target 0.85 here, 0.8 held out), precision "
          f"{total.precision:.2f} (0.8 here, 0.7 held out), exact windows "
          f"{total.share(total.exact):.2f} (0.8), kind {total.share(total.kind):.2f} "
          f"({total.kind}/{total.found}) and anchor {total.share(total.anchor):.2f} "
          f"({total.anchor}/{total.found}) (0.9)")
    if total.seconds:
        print(f"{total.sentences:,} sentences read at {total.sentences / total.seconds:,.0f} "
              "sentences/s (short texts; bench/ingest_throughput.py measures a long one)")
    if args.write_floors:
        floors = {r.name: {"found": r.found, "wrong": len(r.wrong)} for r in results}
        FLOORS.write_text(json.dumps(floors, indent=1, sort_keys=True) + "\n")
        print(f"floors written to {FLOORS}")


if __name__ == "__main__":
    main()
