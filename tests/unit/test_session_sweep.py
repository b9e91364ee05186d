"""demos.memory.sweep: closed tabs' sessions go after their grace, or sooner when Gradio's session cap
is near; a session whose tab is open (not closed, or a heartbeat open again) is never dropped here."""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict

from demos.memory import sweep

NOW = datetime.datetime(2026, 12, 5, 12, 0, 0)


class Session:
    def __init__(self, closed: bool) -> None:
        self.is_closed = closed


class Holder:
    """Gradio's StateHolder as sweep uses it: sessions in least-recently-used order, a cap."""

    def __init__(self, capacity: int, sessions: list[tuple[str, bool, float]]) -> None:
        self.capacity, self.lock, self.deleted = capacity, threading.Lock(), []
        self.session_data = OrderedDict((name, Session(closed)) for name, closed, _ in sessions)
        self.time_last_used = {name: NOW - datetime.timedelta(seconds=age) for name, _, age in sessions}

    def delete_state(self, session_id: str) -> None:
        self.deleted.append(session_id)


def test_closed_sessions_go_after_their_grace_open_ones_stay():
    holder = Holder(100, [("open-idle", False, 600), ("closed-old", True, 90), ("closed-reconnected", True, 90),
                          ("closed-new", True, 10)])
    assert sweep(holder, {"closed-reconnected"}, grace=60, now=NOW, room=25) == 1
    assert holder.deleted == ["closed-old"]
    assert list(holder.session_data) == ["open-idle", "closed-reconnected", "closed-new"]
    assert "closed-old" not in holder.time_last_used


def test_near_the_cap_closed_sessions_make_way_least_recently_used_first():
    # 10 places, 3 kept free: 5 open tabs and 4 tabs closed within their grace are one too many
    sessions = [("open-reader", False, 300), *((f"closed-{i}", True, 40 - i) for i in range(4)),
                *((f"open-{i}", False, 1) for i in range(4))]
    holder = Holder(10, sessions)
    assert sweep(holder, set(), grace=60, now=NOW, room=3) == 2
    assert holder.deleted == ["closed-0", "closed-1"]  # the two closed longest ago; the idle reader stays
    assert "open-reader" in holder.session_data and len(holder.session_data) == 7


def test_open_tabs_are_never_dropped_even_over_the_cap():
    holder = Holder(4, [*((f"open-{i}", False, 500) for i in range(5)), ("closed", True, 1)])
    assert sweep(holder, set(), grace=60, now=NOW, room=2) == 1
    assert holder.deleted == ["closed"] and len(holder.session_data) == 5
