"""Keep resource ids sorted by a key so that any page of a listing is a slice."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Identified(Protocol):
    """Anything with an integer id."""

    @property
    def id(self) -> int:
        """The resource id, the final tie-breaker of every order."""
        ...


R = TypeVar("R", bound=Identified)
SortKey = Callable[[R], tuple[Any, ...]]


class SortedIndex(Generic[R]):
    """Ids in ascending (key, id) order; the descending order is exactly its reverse.

    Breaking ties by id makes the order total, and breaking them in the sort's own
    direction lets one list serve both directions.
    """

    def __init__(self, key: SortKey[R], resources: Iterable[R]) -> None:
        self._key = key
        self._entries = sorted((key(resource), resource.id) for resource in resources)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, resource: R) -> None:
        """Insert `resource` at its place."""
        insort(self._entries, (self._key(resource), resource.id))

    def remove(self, resource: R) -> None:
        """Remove `resource`, which must be present with an unchanged key."""
        entry = (self._key(resource), resource.id)
        position = bisect_left(self._entries, entry)
        if position == len(self._entries) or self._entries[position] != entry:
            raise KeyError(resource.id)
        del self._entries[position]

    def ids(self, *, descending: bool) -> Iterator[int]:
        """Iterate over every id in order."""
        entries = reversed(self._entries) if descending else iter(self._entries)
        return (resource_id for _, resource_id in entries)

    def slice(self, start: int, stop: int, *, descending: bool) -> list[int]:
        """Return the ids at positions [start, stop) of the order, in O(stop - start)."""
        count = len(self._entries)
        if descending:
            start, stop = count - min(stop, count), count - min(start, count)
            return [resource_id for _, resource_id in reversed(self._entries[start:stop])]
        return [resource_id for _, resource_id in self._entries[start:stop]]
