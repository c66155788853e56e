"""The read side of an inventory sync: stream each policy type from Graph, with its sub-resources.

No Django here (no database, no settings): producer threads call :func:`fetch_policy_type`, which
hands each page — with assignments (``$expand``) and per-item sub-resources (``$batch``) merged
into the payloads — to a callback, and tells at the end whether the listing completed. The
caller writes to the database on its own thread.

Guarantees: a page is handed over only with every item marked ``complete`` (all sub-resources
read) or not (a sub-resource read failed — the evidence is partial, so the item's content is
*unknown*, never "empty"); a listing that failed part-way reports ``ok=False`` with the error, and
the pages already handed over stay valid observations. One unusable object (no id, an id no
request can carry) never fails the listing: it is handed over with ``problem`` set, and the
writer skips and counts it.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import IO, Any, Protocol

from tenantpilot.graph.contracts import InvalidPathParameter, get_contract
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode

from .choices import ItemProblem, PolicyTypeSpec
from .pacing import ThrottleBudget
from .singletons import singleton_payload

JsonObject = dict[str, Any]
BATCH_LIMIT = 20  # Graph's documented maximum number of requests in one $batch
# Hybrid plan (graph/PLAN.md section 1): tokens the $batch side leaves in the bucket for the
# expand chain, and how many $batch chunks it keeps in flight.
CHAIN_RESERVE_TOKENS = 5.0
HYBRID_BATCH_WINDOW = 4
# Expanded items the chain may hold while the listing has not yet returned their ids.
EARLY_LIMIT = 1000


class BatchOutcome(Protocol):
    """One item of a ``$batch`` read (``graph.client.BatchResult``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def items(self) -> list[JsonObject] | None: ...

    @property
    def error(self) -> GraphError | None: ...


class GraphReader(Protocol):
    """What a sync needs of the Graph client (the gateway hands out the real one)."""

    def iter_pages(
        self, contract_name: str, *, top: int | None = None, **path_params: str
    ) -> Iterator[list[JsonObject]]: ...

    def batch(
        self, contract_name: str, params: Iterable[Mapping[str, str]], *, chunk_size: int = ...
    ) -> Iterator[BatchOutcome]: ...

    def get_json(self, contract_name: str, **path_params: str) -> JsonObject: ...


@dataclass
class FetchedItem:
    """One listed object: its payload (sub-resources merged in when ``complete``).

    ``problem`` is set when the object cannot be stored at all (see :class:`.choices.ItemProblem`);
    such an item is skipped by the writer, never stored and never a reason to fail.
    """

    payload: JsonObject
    complete: bool = True
    error: GraphError | None = None
    problem: ItemProblem | None = None

    @property
    def object_id(self) -> str | None:
        """The listed id when it is a non-empty string, else None."""
        value = self.payload.get("id")
        return value if isinstance(value, str) and value else None


@dataclass
class FetchedPage:
    """One page of one policy type, ready to be written."""

    policy_type: str
    items: list[FetchedItem]


@dataclass
class TypeOutcome:
    """How the listing of one policy type ended."""

    policy_type: str
    ok: bool
    error: GraphError | None = None
    pages: int = 0
    items: int = 0
    incomplete: int = 0
    item_error: GraphError | None = None


def _chunks(items: list[FetchedItem], size: int) -> Iterator[list[FetchedItem]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _read_sub_resources(
    client: GraphReader,
    spec: PolicyTypeSpec,
    budget: ThrottleBudget,
    chunk: list[FetchedItem],
    *,
    spare_above: float | None = None,
) -> None:
    """Read every sub-resource of ``chunk`` (≤ 20 items) through one ``$batch`` per resource.

    With ``spare_above`` the tokens are taken as spare budget only (:meth:`ThrottleBudget.acquire_spare`).
    """
    for key, contract in spec.sub_resources:
        wanted = [item for item in chunk if item.complete and item.problem is None]
        if not wanted:
            return
        if spare_above is None:
            budget.acquire(spec.bucket, len(wanted))
        else:
            budget.acquire_spare(spec.bucket, len(wanted), reserve=spare_above)
        try:
            results: list[BatchOutcome] = list(
                client.batch(contract, [{"id": str(item.payload["id"])} for item in wanted])
            )
        except GraphError as exc:
            # The $batch POST itself failed: nothing is known about these items' sub-resources.
            for item in wanted:
                item.complete, item.error = False, exc
            continue
        for item, result in zip(wanted, results, strict=True):
            if result.ok and result.items is not None:
                item.payload[key] = result.items
            else:
                item.complete, item.error = False, result.error


def _read_details(client: GraphReader, spec: PolicyTypeSpec, budget: ThrottleBudget, chunk: list[FetchedItem]) -> None:
    """Read every item of ``chunk`` (≤ 20) by id through one ``$batch`` of ``spec.detail_contract``
    and merge each answer over the listed payload (graph/PLAN.md section 9: the script bodies).

    One throttle token per inner request, as for sub-resources. The listed keys the answer does
    not carry (the list's ``$expand=assignments``) stay; the answer's own ``@odata.context`` is
    dropped. An item whose read failed, or whose answer is not the object asked for, is marked
    incomplete: the listed null body means *unknown*, never "empty".
    """
    assert spec.detail_contract is not None
    wanted = [item for item in chunk if item.complete and item.problem is None]
    if not wanted:
        return
    budget.acquire(spec.bucket, len(wanted))
    try:
        results: list[BatchOutcome] = list(
            client.batch(spec.detail_contract, [{"id": str(item.payload["id"])} for item in wanted])
        )
    except GraphError as exc:
        for item in wanted:
            item.complete, item.error = False, exc
        return
    for item, result in zip(wanted, results, strict=True):
        detail = result.items[0] if result.ok and result.items is not None and len(result.items) == 1 else None
        if detail is None or str(detail.get("id", "")).lower() != str(item.payload["id"]).lower():
            item.complete = False
            item.error = result.error or GraphError(
                ReasonCode.MALFORMED_RESPONSE,
                "Graph answered a read by id with another object.",
                contract=spec.detail_contract,
            )
            continue
        item.payload.update((key, value) for key, value in detail.items() if key != "@odata.context")


def _read_item_details(
    client: GraphReader, spec: PolicyTypeSpec, budget: ThrottleBudget, chunk: list[FetchedItem]
) -> None:
    """The per-item reads of one chunk of a non-hybrid type: the object by id, then its sub-resources."""
    if spec.detail_contract is not None:
        _read_details(client, spec, budget, chunk)
    if spec.sub_resources:
        _read_sub_resources(client, spec, budget, chunk)


def _listed_item(spec: PolicyTypeSpec, raw: object) -> FetchedItem:
    """Wrap one listed object, marking the problem that keeps it from being stored, if any."""
    if not isinstance(raw, dict):
        return FetchedItem({}, complete=False, problem=ItemProblem.NO_ID)
    item = FetchedItem(raw)
    object_id = item.object_id
    if object_id is None:
        item.complete, item.problem = False, ItemProblem.NO_ID
        return item
    per_item = [contract for _key, contract in spec.sub_resources]
    if spec.detail_contract is not None:
        per_item.append(spec.detail_contract)
    for contract in per_item:
        try:
            get_contract(contract).relative_url({"id": object_id})
        except InvalidPathParameter:
            # $batch would refuse the whole chunk for this one id: skip the object instead.
            item.complete, item.problem = False, ItemProblem.ID_REJECTED
            break
    return item


def _expanded_item(spec: PolicyTypeSpec, raw: dict[str, Any]) -> FetchedItem | None:
    """An item of the expand chain in exactly the shape the ``$batch`` plan stores, or None.

    None when an expanded sub-resource is missing or truncated (``<key>@odata.nextLink``): that
    item is left to ``$batch``. The sub-resources' ``@odata`` annotations are dropped and the
    sub-resources placed last, as :func:`_read_sub_resources` merges them, so the stored content
    does not depend on which side read the item.
    """
    keys = [key for key, _contract in spec.sub_resources]
    if any(not isinstance(raw.get(key), list) or f"{key}@odata.nextLink" in raw for key in keys):
        return None
    payload = {k: v for k, v in raw.items() if k not in keys and not any(k.startswith(f"{key}@odata.") for key in keys)}
    for key in keys:
        payload[key] = raw[key]
    return FetchedItem(payload)


class _Spill:
    """The listed payloads of one collection, kept in a temporary file instead of memory.

    The hybrid plan must list the whole collection before it reads sub-resources from both ends;
    holding the list payloads in memory would grow the sync with the tenant. Only the ids and
    file offsets stay in memory; :meth:`load` reads one payload back. ``file`` is an anonymous
    temporary file the caller closes (the OS deletes it, also if the process dies).
    """

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._lock = threading.Lock()
        self._offsets = array("q", [0])
        self.ids: list[str] = []

    def add(self, item: FetchedItem) -> None:
        data = json.dumps(item.payload, separators=(",", ":")).encode()
        with self._lock:
            self._file.seek(self._offsets[-1])
            self._file.write(data)
            self._offsets.append(self._offsets[-1] + len(data))
        self.ids.append(str(item.payload["id"]))

    def load(self, index: int) -> FetchedItem:
        start, end = self._offsets[index], self._offsets[index + 1]
        with self._lock:
            self._file.seek(start)
            data = self._file.read(end - start)
        return FetchedItem(json.loads(data))


class _HybridRead:
    """The settings-catalog hybrid plan over one collection (graph/PLAN.md §1).

    The listing (on the calling thread) adds each listed id to the pending set; the expand chain
    (on a helper thread, started as soon as the listed items' sub-resource reads exceed the
    bucket's burst) claims ids from the first page on; once the listing is complete, ``$batch``
    chunks claim ids from the end (on the calling thread, chunks on the sub-resource pool). Every
    item is handed over exactly once; both sides stop when every item is claimed. The chain only
    uses what it can prove complete and only ids the listing returned: what it reads before the
    listing returned the id is held (at most ``EARLY_LIMIT`` items) until the listing ends, then
    claimed or dropped. On a ``GraphError`` the chain simply stops: ``$batch`` reads the rest,
    its list payloads loaded back from the :class:`_Spill`.
    """

    def __init__(
        self,
        client: GraphReader,
        spec: PolicyTypeSpec,
        budget: ThrottleBudget,
        emit: Callable[[FetchedPage], None],
        listed: _Spill,
        sub_executor: Executor | None,
    ) -> None:
        self.client, self.spec, self.budget, self.emit = client, spec, budget, emit
        self.sub_executor = sub_executor
        self._listed = listed
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._early: dict[str, FetchedItem] = {}
        self._listing_done = threading.Event()
        self._tail = 0  # the $batch side claims below this index
        self._stop = threading.Event()
        self._chain_thread: threading.Thread | None = None
        self._chain_errors: list[BaseException] = []
        self.chain_items = 0
        self.chain_error: GraphError | None = None
        self.incomplete = 0
        self.item_error: GraphError | None = None

    # -- the listing side (calling thread) ------------------------------------------------

    def add_listed(self, item: FetchedItem) -> None:
        """Record one listed, usable item; start the chain once ``$batch`` alone would spend
        more than the bucket's burst (before that the chain could only be slower)."""
        self._listed.add(item)
        with self._lock:
            self._pending.add(str(item.payload["id"]))
        tokens = len(self._listed.ids) * len(self.spec.sub_resources)
        if self._chain_thread is None and tokens >= self.budget.limit(self.spec.bucket).capacity:
            self._chain_thread = threading.Thread(target=self._run_chain, name="inv-hybrid-chain", daemon=True)
            self._chain_thread.start()

    def finish(self) -> None:
        """The listing ended (completely or not): settle what the chain read early, read the
        rest through ``$batch`` from the end, wait for the chain; raises what either side raised
        other than the chain's ``GraphError`` (e.g. the writer's abort)."""
        with self._lock:
            self._tail = len(self._listed.ids)
            early = [item for object_id, item in self._early.items() if object_id in self._pending]
            self._pending.difference_update(str(item.payload["id"]) for item in early)
            self._early.clear()
            self._listing_done.set()
        try:
            for chunk in _chunks(early, BATCH_LIMIT):
                self._hand_over_chain(chunk)
            self._batch_side(CHAIN_RESERVE_TOKENS if self._chain_thread is not None else None)
        except BaseException:
            self._stop.set()
            raise
        finally:
            if self._chain_thread is not None:
                self._chain_thread.join()
        if self._chain_errors:
            raise self._chain_errors[0]

    def abort(self) -> None:
        """Stop the chain (the listing side raised) and wait for it."""
        self._stop.set()
        self._listing_done.set()
        if self._chain_thread is not None:
            self._chain_thread.join()

    # -- claims ---------------------------------------------------------------------------

    def _claim(self, item: FetchedItem) -> bool:
        object_id = str(item.payload["id"])
        with self._lock:
            if object_id in self._pending:
                self._pending.discard(object_id)
                return True
            if not self._listing_done.is_set() and len(self._early) < EARLY_LIMIT:
                self._early[object_id] = item  # read before the listing returned it: hold it
        return False

    def _claim_tail(self) -> list[FetchedItem]:
        claimed: list[int] = []
        with self._lock:
            while self._tail > 0 and len(claimed) < BATCH_LIMIT:
                self._tail -= 1
                object_id = self._listed.ids[self._tail]
                if object_id in self._pending:
                    self._pending.discard(object_id)
                    claimed.append(self._tail)
        return [self._listed.load(index) for index in claimed]

    def _chain_may_go_on(self) -> bool:
        if self._stop.is_set():
            return False
        with self._lock:
            held = len(self._early)
            if not self._listing_done.is_set() and held < EARLY_LIMIT:
                return True
            if self._listing_done.is_set():
                return bool(self._pending)
        # The chain is far ahead of the listing: wait for it rather than hold more.
        self._listing_done.wait()
        return self._chain_may_go_on()

    # -- the two readers ------------------------------------------------------------------

    def _hand_over(self, chunk: list[FetchedItem]) -> None:
        for item in chunk:
            if not item.complete and item.problem is None:
                self.incomplete += 1
                self.item_error = self.item_error or item.error
        self.emit(FetchedPage(self.spec.policy_type.value, chunk))

    def _batch_side(self, spare_above: float | None) -> None:
        in_flight: list[tuple[Future[None], list[FetchedItem]]] = []

        def read(chunk: list[FetchedItem]) -> None:
            _read_sub_resources(self.client, self.spec, self.budget, chunk, spare_above=spare_above)

        while not self._stop.is_set():
            chunk = self._claim_tail()
            if not chunk:
                break
            if self.sub_executor is None:
                read(chunk)
                self._hand_over(chunk)
                continue
            in_flight.append((self.sub_executor.submit(read, chunk), chunk))
            if len(in_flight) >= HYBRID_BATCH_WINDOW:
                future, done = in_flight.pop(0)
                future.result()
                self._hand_over(done)
        while in_flight:
            future, done = in_flight.pop(0)
            future.result()
            self._hand_over(done)

    def _run_chain(self) -> None:
        try:
            self._chain()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread by finish()
            self._stop.set()
            self._chain_errors.append(exc)

    def _chain(self) -> None:
        assert self.spec.expanded_list_contract is not None
        claimed: list[FetchedItem] = []  # handed over BATCH_LIMIT at a time: fewer, larger writes
        try:
            pages = self.client.iter_pages(self.spec.expanded_list_contract)
            while self._chain_may_go_on():
                self.budget.acquire(self.spec.bucket)
                page = next(pages, None)
                if page is None:
                    break
                for raw in page:
                    expanded = _expanded_item(self.spec, raw) if isinstance(raw, dict) else None
                    if expanded is None or expanded.object_id is None or not self._claim(expanded):
                        continue  # incomplete, not (yet) listed or already claimed: $batch reads it
                    claimed.append(expanded)
                del page
                if len(claimed) >= BATCH_LIMIT:
                    self._hand_over_chain(claimed)
                    claimed = []
        except GraphError as exc:
            self.chain_error = exc  # the $batch side reads everything not yet claimed
        if claimed:
            self._hand_over_chain(claimed)

    def _hand_over_chain(self, claimed: list[FetchedItem]) -> None:
        self.chain_items += len(claimed)
        self.emit(FetchedPage(self.spec.policy_type.value, claimed))


def _fetch_hybrid(
    client: GraphReader,
    spec: PolicyTypeSpec,
    budget: ThrottleBudget,
    emit: Callable[[FetchedPage], None],
    sub_executor: Executor | None,
) -> TypeOutcome:
    """List the whole collection (ids and list payloads) while the expand chain already reads
    from the first page, then read the rest with ``$batch`` from the end (:class:`_HybridRead`).
    A small collection (its ``$batch`` reads within the bucket's burst) is read with ``$batch``
    alone. A listing that failed part-way is finished for what was listed and reported
    ``ok=False``."""
    outcome = TypeOutcome(spec.policy_type.value, ok=True)
    with tempfile.TemporaryFile(prefix="tenantpilot-listing-") as spill_file:
        reader = _HybridRead(client, spec, budget, emit, _Spill(spill_file), sub_executor)
        try:
            pages = client.iter_pages(spec.list_contract, top=spec.top)
            while True:
                budget.acquire(spec.bucket)
                page = next(pages, None)
                if page is None:
                    break
                items = [_listed_item(spec, raw) for raw in page]
                del page
                outcome.pages += 1
                outcome.items += len(items)
                unusable = [item for item in items if item.problem is not None]
                if unusable:
                    emit(FetchedPage(spec.policy_type.value, unusable))
                for item in items:
                    if item.problem is None:
                        reader.add_listed(item)
                del items
        except GraphError as exc:
            outcome.ok, outcome.error = False, exc
        except BaseException:
            reader.abort()
            raise
        reader.finish()
    outcome.incomplete += reader.incomplete
    outcome.item_error = outcome.item_error or reader.item_error
    return outcome


def uses_hybrid_plan(spec: PolicyTypeSpec) -> bool:
    """Whether ``spec`` is read with the hybrid plan, whose expand chain is latency-bound: a
    writer that makes it wait costs the sync time no other reader can make up."""
    return spec.expanded_list_contract is not None and bool(spec.sub_resources)


def fetch_policy_type(
    client: GraphReader,
    spec: PolicyTypeSpec,
    budget: ThrottleBudget,
    emit: Callable[[FetchedPage], None],
    *,
    sub_executor: Executor | None = None,
) -> TypeOutcome:
    """Stream ``spec``'s collection page by page into ``emit``; never raises a ``GraphError``.

    Sub-resources of a page (and, for a type with a ``detail_contract``, each object by id) are
    read in ``$batch`` chunks of 20, concurrently on ``sub_executor`` when given. Every request
    is paced by ``budget``. A type with an ``expanded_list_contract`` (settings catalog) is
    listed first and then read with the hybrid plan (:func:`_fetch_hybrid`, graph/PLAN.md
    section 1).
    """
    if uses_hybrid_plan(spec):
        return _fetch_hybrid(client, spec, budget, emit, sub_executor)
    outcome = TypeOutcome(spec.policy_type.value, ok=True)
    if spec.singleton_id is not None:
        # One bare object (deviceManagement/settings): one GET, one item under the fixed id.
        try:
            budget.acquire(spec.bucket)
            body = client.get_json(spec.list_contract)
        except GraphError as exc:
            outcome.ok, outcome.error = False, exc
            return outcome
        emit(FetchedPage(spec.policy_type.value, [FetchedItem(singleton_payload(spec.singleton_id, body))]))
        outcome.pages, outcome.items = 1, 1
        return outcome
    try:
        pages = client.iter_pages(spec.list_contract, top=spec.top)
        while True:
            budget.acquire(spec.bucket)
            page = next(pages, None)
            if page is None:
                break
            items = [_listed_item(spec, raw) for raw in page]
            del page
            if (spec.sub_resources or spec.detail_contract is not None) and items:
                chunks = list(_chunks(items, BATCH_LIMIT))
                if sub_executor is not None and len(chunks) > 1:
                    for future in [sub_executor.submit(_read_item_details, client, spec, budget, c) for c in chunks]:
                        future.result()
                else:
                    for c in chunks:
                        _read_item_details(client, spec, budget, c)
            outcome.pages += 1
            outcome.items += len(items)
            for item in items:
                if not item.complete and item.problem is None:
                    outcome.incomplete += 1
                    outcome.item_error = outcome.item_error or item.error
            emit(FetchedPage(spec.policy_type.value, items))
    except GraphError as exc:
        outcome.ok, outcome.error = False, exc
    return outcome
