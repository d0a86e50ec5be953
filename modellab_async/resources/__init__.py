"""The API surface, one class per resource: `client.projects`, `client.runs`, `client.artifacts`."""

from .artifacts import Artifacts
from .projects import Projects
from .runs import Runs

__all__ = ["Artifacts", "Projects", "Runs"]
