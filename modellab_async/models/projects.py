"""Model Lab projects as sent on the wire."""

from __future__ import annotations

from datetime import datetime

from .jsonapi import Model
from .runs import Tag, by_key

__all__ = ["Project", "ProjectAttributes"]


class ProjectAttributes(Model):
    """Attributes of a project; optional fields absent on the wire read as `None`."""

    name: str
    description: str
    artifact_storage_location: str
    created_at: datetime
    updated_at: datetime
    tags: list[Tag]
    is_starred: bool
    owner_id: str | None = None
    external_url: str | None = None
    deleted_at: datetime | None = None


class Project(Model):
    """A project resource: `id` is a string on the wire (`"2"`), `type` is `"projects"`."""

    id: str
    type: str
    attributes: ProjectAttributes

    @property
    def tags(self) -> dict[str, str]:
        """The tags as a new dict of key to value; a repeated key keeps its last value."""
        return by_key(self.attributes.tags)
