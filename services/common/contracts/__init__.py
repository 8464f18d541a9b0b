"""Topic contracts: the envelope, one pydantic model per event type, and the topic table.

`schemas/*.json` is generated from these models (`make schemas`); a contract test fails when
the two drift apart.
"""

from services.common.contracts.envelope import Envelope, new_envelope
from services.common.contracts.topics import TOPICS, Topic, decode_event, topic_for_event

__all__ = ["TOPICS", "Envelope", "Topic", "decode_event", "new_envelope", "topic_for_event"]
