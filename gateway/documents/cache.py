"""A bounded in-memory cache of OCR answers, keyed by what decides the answer.

The key is the SHA-256 of the bytes the OCR node reads, the engines and versions the OCR pool
runs, and the query options (sorted), so the same image under another engine, model or option
is a miss. Only successful answers are kept. It holds page answers, never a user's job list;
an answer carries the request ID of whoever asks.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from prometheus_client import CollectorRegistry, Counter, Gauge


class CacheMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.lookups = Counter(
            "gateway_cache_lookups_total",
            "Result-cache look-ups by outcome (hit, miss)",
            ["outcome"],
            registry=registry,
        )
        self.bytes = Gauge("gateway_cache_bytes", "Bytes held by the result cache", registry=registry)
        self.entries = Gauge("gateway_cache_entries", "Answers held by the result cache", registry=registry)


def cache_key(data: bytes, engines: str, query: str, scope: str) -> str:
    """What decides an OCR answer (the bytes, the engines/models serving, the options), per user."""
    options = urlencode(sorted(parse_qsl(query, keep_blank_values=True)))
    digest = hashlib.sha256(data).hexdigest()
    return f"{scope}|{digest}|{engines}|{options}"


class ResultCache:
    """Least recently used answers up to `max_bytes` in total (0 turns the cache off)."""

    def __init__(self, max_bytes: int, metrics: CacheMetrics, max_entry_bytes: int = 4 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._max_entry = min(max_entry_bytes, max_bytes)
        self._metrics = metrics
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, key: str) -> bytes | None:
        if not self.enabled:
            return None
        found = self._entries.get(key)
        if found is None:
            self._metrics.lookups.labels("miss").inc()
            return None
        self._entries.move_to_end(key)
        self._metrics.lookups.labels("hit").inc()
        return found

    def put(self, key: str, answer: bytes) -> None:
        if not self.enabled or len(answer) > self._max_entry:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._size -= len(old)
        self._entries[key] = answer
        self._size += len(answer)
        while self._size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._size -= len(dropped)
        self._metrics.bytes.set(self._size)
        self._metrics.entries.set(len(self._entries))
