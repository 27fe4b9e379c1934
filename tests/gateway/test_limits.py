from __future__ import annotations

import pytest

from gateway.limits import TokenBuckets
from mesh.errors import RateLimited


def test_bucket_allows_burst_then_refuses_then_refills() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate=2, burst=3, clock=lambda: now[0])
    for _ in range(3):
        buckets.take("u")
    with pytest.raises(RateLimited) as caught:
        buckets.take("u")
    assert caught.value.headers()["Retry-After"] == "1"
    buckets.take("someone-else")
    now[0] = 0.5
    buckets.take("u")
    with pytest.raises(RateLimited):
        buckets.take("u")


def test_zero_rate_disables_the_limit() -> None:
    buckets = TokenBuckets(rate=0, burst=0)
    for _ in range(100):
        buckets.take("u")
