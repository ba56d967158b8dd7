"""Rendered HTML fragments, kept per app process and keyed by everything they show.

A board's columns and activity feed are the same HTML for every member who opens the board until
someone changes it, and every change raises the board's version. So the rendered fragment is
kept under a key that contains that version (and the language, and whether the viewer may edit):
a change makes a new key, and an old entry is never served for a new board, so nothing has to be
invalidated. Old entries drop out of a bounded least-recently-used store.

Only fragments without anything personal to the viewer belong here: no CSRF token, no name of
the viewer, no flash message. Each gunicorn worker keeps its own store; they agree because the key
comes from the database.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import current_app
from markupsafe import Markup

EXTENSION_KEY = "fieldlab.fragments"


class FragmentCache:
    """A bounded least-recently-used store of rendered HTML. Thread-safe: `serve` runs waitress
    with several threads in one process."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> Markup:
        if self.max_entries <= 0:
            return Markup(render())
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return html
        # Rendered outside the lock: two threads may render the same fragment once each, which
        # is harmless; holding the lock would make every board wait for one slow render.
        html = Markup(render())
        with self._lock:
            self.misses += 1
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return html

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = FragmentCache(app.config["FRAGMENT_CACHE_ENTRIES"])


def cache() -> FragmentCache:
    return current_app.extensions[EXTENSION_KEY]


def cached(key: Hashable, render: Callable[[], str]) -> Markup:
    """The fragment under `key`, rendered by `render()` the first time it is asked for."""
    return cache().get_or_render(key, render)
