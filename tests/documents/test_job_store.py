"""The job store and its leased queue on SQLite and a real PostgreSQL: order, ownership, leases,
exactly-once page results, cancel, expiry, and two stores (two gateways) claiming at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.jobs.store import Claim, JobStore, NewJob

NOW = 1_700_000_000.0
TTL = 3600.0
LEASE = 30.0


@pytest.fixture
def store(store_url: str) -> Iterator[JobStore]:
    s = JobStore(store_url)
    yield s
    s.close()


def submit(store: JobStore, owner: str = "alice", pages: int = 3, now: float = NOW) -> str:
    job = NewJob(
        owner, "doc.pdf", "detail=text", "tok", [("doc.pdf", b"%PDF-bytes")], [(0, i) for i in range(pages)]
    )
    return str(store.create(job, now, TTL)["id"])


def entry(claim: Claim, text: str = "ok") -> dict[str, object]:
    return {"page": claim.page, "text": text, "instance": "127.0.0.1:1"}


def drain(store: JobStore, owner: str = "w1", now: float = NOW) -> list[Claim]:
    claims = []
    while (claim := store.claim(owner, now, LEASE)) is not None:
        claims.append(claim)
    return claims


def test_pages_are_claimed_in_order_and_the_job_ends_with_its_last_page(store: JobStore) -> None:
    job_id = submit(store)
    claims = drain(store)
    assert [(c.page, c.frame, c.options, c.token) for c in claims] == [
        (p, p - 1, "detail=text", "tok") for p in (1, 2, 3)
    ]
    assert store.get(job_id, "alice", NOW)["state"] == "running"  # type: ignore[index]
    for claim in reversed(claims):
        assert store.finish_page(claim, entry(claim), NOW + 1, TTL)
    job = store.get(job_id, "alice", NOW + 2)
    assert job is not None
    assert (job["state"], job["pages_done"], [p["page"] for p in job["pages"]]) == ("done", 3, [1, 2, 3])
    assert store.file_data(job_id, 0) == b"%PDF-bytes"


def test_another_owner_sees_nothing(store: JobStore) -> None:
    job_id = submit(store, "alice")
    assert store.get(job_id, "bob", NOW) is None
    assert store.cancel(job_id, "bob", NOW, TTL) is None
    assert store.list("bob", NOW, 50) == []
    assert [j["id"] for j in store.list("alice", NOW, 50)] == [job_id]


def test_a_lapsed_lease_is_claimed_again_and_the_page_is_written_once(store: JobStore) -> None:
    job_id = submit(store, pages=1)
    first = store.claim("gateway-a", NOW, LEASE)
    assert first is not None and store.claim("gateway-b", NOW + 1, LEASE) is None  # leased
    second = store.claim("gateway-b", NOW + LEASE + 1, LEASE)  # gateway-a died
    assert second is not None and (second.page_id, second.attempts) == (first.page_id, 2)
    assert store.finish_page(second, entry(second, "from b"), NOW + 40, TTL)
    assert not store.finish_page(first, entry(first, "from a"), NOW + 41, TTL)  # late: dropped
    job = store.get(job_id, "alice", NOW + 42)
    assert job is not None and [p["text"] for p in job["pages"]] == ["from b"]


def test_renewed_leases_hold_and_a_clean_stop_gives_pages_back(store: JobStore) -> None:
    submit(store, pages=2)
    held = drain(store, "gateway-a")
    store.renew([c.page_id for c in held], "gateway-a", NOW + 2 * LEASE)
    assert store.claim("gateway-b", NOW + LEASE + 1, LEASE) is None
    assert store.release("gateway-a") == 2
    again = drain(store, "gateway-b", NOW + LEASE + 2)
    assert [(c.page, c.attempts) for c in again] == [(1, 1), (2, 1)]


def test_cancel_stops_queued_pages_and_a_failed_job_is_failed(store: JobStore) -> None:
    job_id = submit(store, pages=3)
    running = store.claim("w", NOW, LEASE)
    assert running is not None
    assert store.cancel(job_id, "alice", NOW + 1, TTL) is True
    assert store.claim("w", NOW + 1, LEASE) is None
    assert store.finish_page(running, entry(running), NOW + 2, TTL)  # what ran is kept
    job = store.get(job_id, "alice", NOW + 3)
    assert job is not None and (job["state"], job["pages_done"]) == ("cancelled", 1)
    assert store.cancel(job_id, "alice", NOW + 4, TTL) is False

    failing = submit(store, pages=2)
    for claim in drain(store):
        store.finish_page(claim, {"page": claim.page, "error": {"code": "x", "message": "y"}}, NOW, TTL)
    assert store.get(failing, "alice", NOW)["state"] == "failed"  # type: ignore[index]


def test_jobs_expire_after_their_time(store: JobStore) -> None:
    job_id = submit(store, pages=1)
    (claim,) = drain(store)
    store.finish_page(claim, entry(claim), NOW + 10, TTL)
    assert store.get(job_id, "alice", NOW + 10 + TTL - 1) is not None
    assert store.get(job_id, "alice", NOW + 10 + TTL) is None
    assert store.expire(NOW + 10 + TTL) == 1
    assert store.file_data(job_id, 0) is None and store.list("alice", NOW, 50) == []


def test_two_gateways_claiming_at_once_take_each_page_once(store_url: str) -> None:
    stores = [JobStore(store_url), JobStore(store_url)]
    try:
        job_id = submit(stores[0], pages=40)

        def work(i: int) -> list[int]:
            mine = []
            while (claim := stores[i % 2].claim(f"w{i}", NOW, LEASE)) is not None:
                stores[i % 2].finish_page(claim, entry(claim), NOW, TTL)
                mine.append(claim.page)
            return mine

        with ThreadPoolExecutor(6) as pool:
            taken = [p for pages in pool.map(work, range(6)) for p in pages]
        assert sorted(taken) == list(range(1, 41))
        job = stores[1].get(job_id, "alice", NOW)
        assert job is not None and (job["state"], job["pages_done"]) == ("done", 40)
    finally:
        for s in stores:
            s.close()
