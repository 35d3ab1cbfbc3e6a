"""A test notice through each of an audience's channels: ``followup check --send-test``.

It goes through the very channel objects the daemon sends with, so what fails here (a server
that cannot be reached, a refused login, a refused recipient) fails there, and it is said in
one line per channel. Nothing is written to the ledger: a test notice is no notice of a
follow-up, and sending it again sends it again.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from scheduler.channels import Channel, DeliveryFailure, Message
from scheduler.config import Config

__all__ = ["SUBJECT_PREFIX", "Trial", "trial_message", "try_channels"]

#: What every test notice's subject starts with, so that it is recognised and filtered.
SUBJECT_PREFIX = "[followup test]"


@dataclass(frozen=True)
class Trial:
    channel: str
    described: str
    #: What went wrong, in one line; None when the channel took the notice.
    problem: str | None


def trial_message(config: Config, audience_name: str, channel: str, now: datetime) -> Message:
    """The test notice for one channel of an audience (its own key, so its own Message-ID)."""
    audience = next(a for a in config.plan.audiences if a.name == audience_name)
    local = now.astimezone(audience.zone)
    when = (f"{now.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
            f"({local:%H:%M %Z} in {audience.timezone}, the audience's zone)")
    text = (
        f"This is a test notice from followup, sent at {when} with 'followup check "
        f"--send-test {audience.name}' to see that notices for the audience "
        f"{audience.name} reach you through the {channel} channel.\n\n"
        "It needs no action and is about no follow-up; the daemon's notices come the same "
        "way.\n"
    )
    key = f"test/{audience.name}/{channel}/{now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}/" \
          f"{uuid.uuid4().hex[:8]}"
    return Message(
        key=key, kind="test", audience=audience.name, followup_id=None, due=now,
        recipients=audience.recipients,
        subject=f"{SUBJECT_PREFIX} notices for {audience.name} through {channel}",
        text=text, html="".join(f"<p>{html.escape(part)}</p>\n"
                                for part in text.strip().split("\n\n")),
        late=False, markdown=text,
    )


def try_channels(config: Config, audience_name: str, channels: Mapping[str, Channel],
                 now: datetime) -> list[Trial]:
    """Send the test notice through each of the audience's channels, in its order."""
    audience = next(a for a in config.plan.audiences if a.name == audience_name)
    trials = []
    for name in audience.channels:
        channel = channels[name]
        problem = None
        try:
            channel.send(trial_message(config, audience.name, name, now))
        except DeliveryFailure as error:
            problem = " ".join(str(error).split())
        except Exception as error:  # a fault in a channel: said, and the others still tried
            problem = f"unexpected failure: {error!r}"
        finally:
            channel.close()
        trials.append(Trial(name, channel.describe(), problem))
    return trials
