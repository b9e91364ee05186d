"""A person's live run, touched by one thread at a time.

A live view's frames are computed in a worker thread (``demos.common.stream``). Pause cancels the
streaming event, but the frame being worked on runs to its end (up to its deadline) while the
paused handler, in another thread, already draws the run "as it is now". Unguarded, that view read
the model while an optimizer step rewrote its weights, and its title and status line read the step
counter at two moments (in CI the paused VAE map's title and its status line named two different
steps). Every
session class of a live view inherits :class:`Guarded`; ``advance`` and the view functions hold
its lock, so a view waits for the chunk of training in flight and shows one consistent step.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Guarded:
    lock: threading.RLock = field(default_factory=threading.RLock, kw_only=True, repr=False, compare=False)


def guarded(view: Callable[..., T]) -> Callable[..., T]:
    """A view function of a :class:`Guarded` run (its first argument), run holding the run's lock."""

    @functools.wraps(view)
    def locked(run: Guarded, *args: Any, **kwargs: Any) -> T:
        with run.lock:
            return view(run, *args, **kwargs)

    return locked
