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
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from tenantpilot.graph.contracts import InvalidPathParameter, get_contract
from tenantpilot.graph.errors import GraphError

from .choices import ItemProblem, PolicyTypeSpec
from .pacing import ThrottleBudget

JsonObject = dict[str, Any]
BATCH_LIMIT = 20  # Graph's documented maximum number of requests in one $batch


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
) -> None:
    """Read every sub-resource of ``chunk`` (≤ 20 items) through one ``$batch`` per resource."""
    for key, contract in spec.sub_resources:
        wanted = [item for item in chunk if item.complete and item.problem is None]
        if not wanted:
            return
        budget.acquire(spec.bucket, len(wanted))
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


def _listed_item(spec: PolicyTypeSpec, raw: object) -> FetchedItem:
    """Wrap one listed object, marking the problem that keeps it from being stored, if any."""
    if not isinstance(raw, dict):
        return FetchedItem({}, complete=False, problem=ItemProblem.NO_ID)
    item = FetchedItem(raw)
    object_id = item.object_id
    if object_id is None:
        item.complete, item.problem = False, ItemProblem.NO_ID
        return item
    for _key, contract in spec.sub_resources:
        try:
            get_contract(contract).relative_url({"id": object_id})
        except InvalidPathParameter:
            # $batch would refuse the whole chunk for this one id: skip the object instead.
            item.complete, item.problem = False, ItemProblem.ID_REJECTED
            break
    return item


def fetch_policy_type(
    client: GraphReader,
    spec: PolicyTypeSpec,
    budget: ThrottleBudget,
    emit: Callable[[FetchedPage], None],
    *,
    sub_executor: Executor | None = None,
) -> TypeOutcome:
    """Stream ``spec``'s collection page by page into ``emit``; never raises a ``GraphError``.

    Sub-resources of a page are read in ``$batch`` chunks of 20, concurrently on
    ``sub_executor`` when given. Every request is paced by ``budget``.
    """
    outcome = TypeOutcome(spec.policy_type.value, ok=True)
    try:
        pages = client.iter_pages(spec.list_contract, top=spec.top)
        while True:
            budget.acquire(spec.bucket)
            page = next(pages, None)
            if page is None:
                break
            items = [_listed_item(spec, raw) for raw in page]
            del page
            if spec.sub_resources and items:
                chunks = list(_chunks(items, BATCH_LIMIT))
                if sub_executor is not None and len(chunks) > 1:
                    for future in [sub_executor.submit(_read_sub_resources, client, spec, budget, c) for c in chunks]:
                        future.result()
                else:
                    for c in chunks:
                        _read_sub_resources(client, spec, budget, c)
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
