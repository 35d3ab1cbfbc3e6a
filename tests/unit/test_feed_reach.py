"""Who can reach the feed addresses `followup feeds` lists: the one-line note."""

from __future__ import annotations

import pytest

from scheduler.config import FeedsConfig
from scheduler.feed_reach import reach_note


@pytest.mark.parametrize(("host", "base_url", "says"), [
    ("127.0.0.1", "", "reach only this machine (feeds.host 127.0.0.1, no base_url)"),
    ("::1", "", "reach only this machine (feeds.host ::1, no base_url)"),
    ("localhost", "", "reach only this machine (feeds.host localhost, no base_url)"),
    ("0.0.0.0", "", "0.0.0.0 means every address of this machine, not one to subscribe to"),
    ("::", "", ":: means every address of this machine"),
    ("192.168.1.20", "", "reach only this network (feeds.host 192.168.1.20, no base_url)"),
    ("10.0.0.5", "", "reach only this network"),
    ("0.0.0.0", "http://localhost:8470", "reach only this machine (base_url "
     "http://localhost:8470)"),
    ("127.0.0.1", "http://127.0.0.1:9000/cal", "reach only this machine"),
    ("127.0.0.1", "https://feeds.example.org", None),
    ("0.0.0.0", "https://93.184.216.34", None),
    ("feeds.example.org", "", None),
    ("93.184.216.34", "", None),
])
def test_the_note_says_who_cannot_reach_them(host: str, base_url: str,
                                             says: str | None) -> None:
    note = reach_note(FeedsConfig(host=host, base_url=base_url))
    if says is None:
        assert note is None
        return
    assert note is not None
    assert says in note
    assert note.endswith("set [feeds] base_url to that address in config.toml")
    assert "\n" not in note
