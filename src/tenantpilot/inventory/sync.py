"""An inventory sync of one environment: Graph readers on threads, database writes on this one.

Producer threads stream each policy type's pages (:func:`.fetch.fetch_policy_type`) into
bounded lanes; sub-resource ``$batch`` chunks run on a small shared pool; the calling thread
writes each page as it arrives (:func:`.services.inventory_apply_page`). Types read with the
latency-bound hybrid plan (:func:`.fetch.uses_hybrid_plan`) start at once, on threads of their
own, and have a lane the writer serves first: the bulk types' pages would otherwise stall the expand
chain behind a full queue, and every page the chain does not read costs the bucket a token.
The other types are read ``BULK_PRODUCERS`` at a time: they are not on the sync's critical path
(their buckets are spent long before the settings catalog's), and fewer of them at once means
fewer full pages held in memory and less contention for the interpreter. So memory holds a
bounded number of pages (see the constants) whatever the tenant's size. Every request is paced
within the tenant's throttle budget (:mod:`.pacing`).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tenantpilot.operations.models import OperationRun
from tenantpilot.tenancy.models import ManagedEnvironment

from .choices import POLICY_TYPE_SPECS, PolicyTypeSpec
from .fetch import FetchedPage, GraphReader, TypeOutcome, fetch_policy_type, uses_hybrid_plan
from .pacing import ThrottleBudget
from .services import SyncSummary, inventory_apply_page, inventory_finish_sync

logger = logging.getLogger("tenantpilot.inventory.sync")

# Memory holds at most: per urgent (hybrid) producer its chunks, URGENT_QUEUE_PAGES of them queued;
# for the rest BULK_PRODUCERS pages being read (≤ 1,000 items each) and BULK_QUEUE_PAGES slices.
URGENT_QUEUE_PAGES = 8
BULK_QUEUE_PAGES = 2
WRITE_SLICE_ITEMS = 200  # the writer writes (and queues) at most this many items at once
BULK_PRODUCERS = 2
SUB_RESOURCE_CONCURRENCY = 4


@dataclass
class SyncReport:
    """The result of :func:`sync_inventory`: the summary written, and each type's outcome."""

    summary: SyncSummary
    outcomes: dict[str, TypeOutcome]


_DONE = object()


class _Aborted(Exception):
    """Internal: the writer failed, so the readers stop."""


class _Lanes:
    """Two bounded FIFO lanes into the writer; :meth:`get` serves the urgent lane first.

    A producer puts its pages and then its end message into one lane, so the writer sees a
    type's end only after all of its pages. :meth:`put` waits while the lane is full and, once
    ``stop`` is set, refuses (raising :class:`_Aborted`) — unless ``force``: the end message
    must always arrive, because the writer drains until every producer has ended.
    """

    def __init__(self, urgent_max: int, bulk_max: int, stop: threading.Event) -> None:
        self._lanes: tuple[deque[object], deque[object]] = (deque(), deque())
        self._maxsize = (urgent_max, bulk_max)
        self._stop = stop
        self._changed = threading.Condition()

    def put(self, message: object, *, urgent: bool, force: bool = False) -> None:
        index = 0 if urgent else 1
        lane = self._lanes[index]
        with self._changed:
            while not force:
                if self._stop.is_set():
                    raise _Aborted
                if len(lane) < self._maxsize[index]:
                    break
                self._changed.wait(timeout=0.5)
            lane.append(message)
            self._changed.notify_all()

    def get(self) -> object:
        with self._changed:
            while not (self._lanes[0] or self._lanes[1]):
                self._changed.wait()
            message = (self._lanes[0] or self._lanes[1]).popleft()
            self._changed.notify_all()
            return message


# How long a thread may hold the interpreter while another waits for it (Python's default: 5 ms).
SWITCH_INTERVAL_SECONDS = 0.0005


@contextmanager
def _responsive_threads() -> Iterator[None]:
    """Let waiting threads take the interpreter after 0.5 ms instead of 5 ms while a sync runs.

    The expand chain needs the interpreter briefly after every response (TLS, JSON); while the
    writer thread is busy it would wait up to the switch interval each time, several times per
    20 ms round trip. The previous interval is restored afterwards.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, SWITCH_INTERVAL_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def throttle_debits(budget: ThrottleBudget, specs: Sequence[PolicyTypeSpec]) -> Callable[[str], None]:
    """The Graph client's ``on_throttled`` hook for a sync of ``specs``: each throttled answer is
    debited from its type's bucket (:meth:`.pacing.ThrottleBudget.debit`)."""
    buckets = {name: spec.bucket for spec in specs for name in spec.contract_names}

    def debit(contract_name: str) -> None:
        bucket = buckets.get(contract_name)
        if bucket is not None:
            budget.debit(bucket, 1)

    return debit


def sync_inventory(
    *,
    client: GraphReader,
    run: OperationRun,
    environment: ManagedEnvironment,
    connection: Any | None = None,
    specs: Sequence[PolicyTypeSpec] | None = None,
    budget: ThrottleBudget | None = None,
    on_page: Callable[[SyncSummary], None] | None = None,
) -> SyncReport:
    """Read every policy type of ``specs`` (default: all) and write what was read.

    Never raises a Graph error, and one unusable item never fails anything (it is skipped and
    counted). A type whose listing failed part-way is reported in the outcome: the pages read
    before the failure are written (``summary.written``), nothing of that type is marked gone.
    Only completely listed types mark missing items gone. ``connection`` is the connection
    read from: new rows take its provider key.
    """
    specs = list(specs if specs is not None else POLICY_TYPE_SPECS.values())
    budget = budget or ThrottleBudget()
    summary = SyncSummary()
    outcomes: dict[str, TypeOutcome] = {}

    stop = threading.Event()
    pages = _Lanes(URGENT_QUEUE_PAGES, BULK_QUEUE_PAGES, stop)
    urgent_specs = [spec for spec in specs if uses_hybrid_plan(spec)]

    def produce(spec: PolicyTypeSpec, sub_pool: ThreadPoolExecutor) -> None:
        urgent = uses_hybrid_plan(spec)

        def emit(page: FetchedPage) -> None:
            # The writer's copies (normalized payloads, rows, statement parameters) scale with
            # what it writes at once: hand a 1,000-item page over in slices.
            for start in range(0, max(1, len(page.items)), WRITE_SLICE_ITEMS):
                pages.put(FetchedPage(page.policy_type, page.items[start : start + WRITE_SLICE_ITEMS]), urgent=urgent)

        outcome = TypeOutcome(spec.policy_type.value, ok=False)
        try:
            outcome = fetch_policy_type(client, spec, budget, emit, sub_executor=sub_pool)
        except _Aborted:
            pass
        finally:
            # after this type's pages; the writer drains both lanes, even after a failure
            pages.put((_DONE, outcome), urgent=urgent, force=True)

    with (
        _responsive_threads(),
        ThreadPoolExecutor(max_workers=SUB_RESOURCE_CONCURRENCY, thread_name_prefix="inv-batch") as sub_pool,
        ThreadPoolExecutor(max_workers=max(1, len(urgent_specs)), thread_name_prefix="inv-urgent") as urgent_pool,
        ThreadPoolExecutor(max_workers=BULK_PRODUCERS, thread_name_prefix="inv-type") as bulk_pool,
    ):
        futures = [
            (urgent_pool if spec in urgent_specs else bulk_pool).submit(produce, spec, sub_pool) for spec in specs
        ]
        remaining = len(specs)
        failure: BaseException | None = None
        while remaining:
            message = pages.get()
            if isinstance(message, FetchedPage):
                if failure is not None:
                    continue  # draining after a write failure
                try:
                    counts = inventory_apply_page(
                        run=run,
                        environment=environment,
                        policy_type=message.policy_type,
                        items=message.items,
                        connection=connection,
                    )
                except BaseException as exc:  # noqa: BLE001 - stop the readers, drain, then re-raise
                    failure = exc
                    stop.set()
                    continue
                summary.counts.add(counts)
                summary.written[message.policy_type] = summary.written.get(message.policy_type, 0) + (
                    counts.created + counts.updated + counts.unchanged + counts.unknown
                )
                del message
                if on_page is not None:
                    on_page(summary)  # the totals written so far (the run's progress)
            else:
                assert isinstance(message, tuple) and message[0] is _DONE
                finished: TypeOutcome = message[1]
                outcomes[finished.policy_type] = finished
                remaining -= 1
        if failure is not None:
            raise failure
        for future in futures:
            future.result()  # re-raise a producer's unexpected error (a bug, not a Graph failure)

    for spec in specs:
        outcome = outcomes[spec.policy_type.value]
        if outcome.ok:
            summary.completed_types.append(outcome.policy_type)
        else:
            code = outcome.error.reason_code.value if outcome.error is not None else "unknown_error"
            summary.failed_types[outcome.policy_type] = code
            logger.warning("inventory sync run=%s type=%s failed reason=%s", run.pk, outcome.policy_type, code)
    inventory_finish_sync(run=run, environment=environment, summary=summary)
    return SyncReport(summary=summary, outcomes=outcomes)
