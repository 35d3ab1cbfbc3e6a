"""Sentences per second through the whole ingest pipeline.

    python bench/ingest_throughput.py [--megabytes 5]

Two texts. The seed release's body repeated to the size asked for: a worst case, since
nearly every one of its sentences commits to something and is read to the end. And the
development corpus (`tests/corpus/`), each release read on its own as `followup ingest`
reads one: a release's mix of background, quotes and commitments. The pipeline is what
`followup ingest --dry-run` runs: decoding, paragraphs, sentences, the temporal grammar,
commitments, places, programme lines, merging into one proposal per event, and what the
release reports done. Loading the place names is paid once per process and shown apart:
built from the data packages (a first run) and read back from the cache (every later one).
Peer: splitting the same text into sentences alone (the floor any pipeline pays).
Target: 2,000 sentences/s or more.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events import places
from events.extract import propose
from events.outcomes import reported_done
from events.reading import Release, read_release, sentences

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "events" / "data" / "jcec-23.txt"
CORPUS = ROOT / "tests" / "corpus"


def read(data: bytes, published: date) -> Release:
    release = read_release(data, "bench.txt")
    propose(release, published)
    reported_done(release, published)
    return release


def best_of(runs: int, work: list[tuple[bytes, date]]) -> tuple[float, int, float]:
    """The fastest of ``runs`` passes over ``work``: seconds, sentences, and the seconds
    sentence splitting alone takes."""
    best = floor = float("inf")
    count = 0
    for _ in range(runs):
        started = time.perf_counter()
        releases = [read(data, published) for data, published in work]
        best = min(best, time.perf_counter() - started)
        started = time.perf_counter()
        count = sum(len(sentences(p.text)) for r in releases for p in r.paragraphs)
        floor = min(floor, time.perf_counter() - started)
    return best, count, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    started = time.perf_counter()
    built = places._build()
    building = time.perf_counter() - started
    kept = places._to_json(built)
    started = time.perf_counter()
    places._from_json(kept)
    reading = time.perf_counter() - started
    print(f"place names, once per process: built from the packages in {building:.2f} s, "
          f"read from the cache in {reading:.2f} s")
    places.places_named("in Tokyo")  # loaded for the runs below

    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("1. The 23rd"):text.index("* unofficial")]
    copies = int(args.megabytes * 1_000_000 // len(body.encode())) + 1
    data = "\n".join(body for _ in range(copies)).encode()
    elapsed, count, floor = best_of(1, [(data, date(2019, 1, 24))])
    print(f"\nthe seed release repeated: {len(data) / 1e6:.1f} MB, {count:,} sentences")
    print(f"  whole pipeline                      {count / elapsed:>10,.0f} sentences/s "
          f"({elapsed:.1f} s)")
    print(f"  peer: sentence splitting alone      {count / floor:>10,.0f} sentences/s")

    work = []
    for path in sorted(CORPUS.glob("[0-9]*.txt")):
        _, published, body = path.read_text(encoding="utf-8").split("\n", 2)
        work.append((body.encode(), date.fromisoformat(published.strip())))
    elapsed, count, floor = best_of(3, work)
    print(f"\nthe corpus, release by release: {len(work)} releases, {count:,} sentences "
          "(best of 3)")
    print(f"  whole pipeline                      {count / elapsed:>10,.0f} sentences/s "
          f"({elapsed:.2f} s)")
    print(f"  peer: sentence splitting alone      {count / floor:>10,.0f} sentences/s")
    print("\ntarget: 2,000 sentences/s or more")


if __name__ == "__main__":
    main()
