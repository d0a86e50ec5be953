"""Keep resource ids sorted by a key so that any page of a listing is a slice."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Identified(Protocol):
    """Anything with an integer id."""

    @property
    def id(self) -> int:
        """The resource id, the final tie-breaker of every order."""
        ...


R = TypeVar("R", bound=Identified)
SortKey = Callable[[R], tuple[Any, ...]]
PartitionKey = Callable[[R], Hashable]


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


class PartitionedIndex(Generic[R]):
    """One `SortedIndex` per value of `partition(resource)`.

    A listing filtered to resources whose partition value is V is then the
    part of V, and any of its pages a slice of it.
    """

    def __init__(self, key: SortKey[R], partition: PartitionKey[R], resources: Iterable[R]) -> None:
        self._key = key
        self._partition = partition
        groups: defaultdict[Hashable, list[R]] = defaultdict(list)
        for resource in resources:
            groups[partition(resource)].append(resource)
        self._parts = {value: SortedIndex(key, members) for value, members in groups.items()}

    def part(self, value: Hashable) -> SortedIndex[R]:
        """Return the resources whose partition value is `value`, in order."""
        part = self._parts.get(value)
        return part if part is not None else SortedIndex(self._key, ())

    def add(self, resource: R) -> None:
        """Insert `resource` at its place in its part."""
        value = self._partition(resource)
        part = self._parts.get(value)
        if part is None:
            part = self._parts[value] = SortedIndex(self._key, ())
        part.add(resource)

    def remove(self, resource: R) -> None:
        """Remove `resource`, which must be present with an unchanged key and partition value."""
        self._parts[self._partition(resource)].remove(resource)
