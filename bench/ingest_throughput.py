"""Sentences per second through the whole ingest pipeline, on a large text.

    python bench/ingest_throughput.py [--megabytes 5]

The text is the seed release's body repeated to the size asked for. The pipeline is what
`followup ingest --dry-run` runs: decoding, paragraphs, sentences, the temporal grammar,
commitment detection and merging into one proposal per event. Peer: splitting the same text
into sentences alone (the floor any pipeline pays). Target: 2,000 sentences/s or more.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.extract import propose
from events.reading import read_release, sentences

SEED = Path(__file__).resolve().parents[1] / "events" / "data" / "jcec-23.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    text = SEED.read_text(encoding="utf-8")
    body = text[text.index("1. The 23rd"):text.index("* unofficial")]
    copies = int(args.megabytes * 1_000_000 // len(body.encode())) + 1
    data = "\n".join(body for _ in range(copies)).encode()

    started = time.perf_counter()
    release = read_release(data, "bench")
    proposals = propose(release, date(2019, 1, 24))
    elapsed = time.perf_counter() - started
    count = sum(len(sentences(p.text)) for p in release.paragraphs)

    started = time.perf_counter()
    for paragraph in release.paragraphs:
        sentences(paragraph.text)
    floor = time.perf_counter() - started

    print(f"ingest pipeline on {len(data) / 1e6:.1f} MB ({count:,} sentences, "
          f"{len(proposals)} proposals)")
    print(f"  whole pipeline                      {count / elapsed:>10,.0f} sentences/s "
          f"({elapsed:.1f} s)")
    print(f"  peer: sentence splitting alone      {count / floor:>10,.0f} sentences/s")
    print("  target: 2,000 sentences/s or more")


if __name__ == "__main__":
    main()
