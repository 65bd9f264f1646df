"""Reading stored webhook events: the fast decoder (orjson) and the stdlib agree on every row,
including the JSON orjson refuses, and a row that is not an event object is skipped."""

from __future__ import annotations

import json

from telcli.storage.captures import Capture, CaptureFilter, CaptureStore
from telcli.storage.state import StateDB


def test_every_stored_event_reads_as_the_stdlib_reads_it(tmp_path):
    store = CaptureStore(StateDB(tmp_path / "state.db"))
    store.add_many([Capture("POST", f"https://h.example.com/{i}", (), b"x") for i in range(5)])
    texts = [
        '{"call_id":"CA1","status":"completed","meta":{"run":"8"}}',  # the common case
        '{"call_id":"CA2","hangup_cause":"\\ud800"}',  # a lone surrogate: orjson refuses it
        '{"call_id":"CA3","duration_seconds":184467440737095516150}',  # past 64 bits
        '{"call_id":"CA4","duration_seconds":NaN}',  # the stdlib's extension
        '["not", "an", "event"]',
    ]
    with store.db.conn as conn:
        for i, text in enumerate(texts, start=1):
            conn.execute("UPDATE captures SET event = ? WHERE id = ?", (text, i))
    events = list(store.iter_events(CaptureFilter(limit=None)))
    expected = [json.loads(t) | {"capture_id": i} for i, t in enumerate(texts[:4], start=1)]
    assert [e["call_id"] for e in events] == ["CA1", "CA2", "CA3", "CA4"]
    assert events[:3] == expected[:3]
    assert events[1]["hangup_cause"] == "\ud800"
    assert events[3]["duration_seconds"] != events[3]["duration_seconds"]  # NaN, as json reads it
