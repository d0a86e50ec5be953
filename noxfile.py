"""Development sessions; `.ci/run` runs the default ones, exactly as the README says."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "fidelity", "docs"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


#: The package with every optional extra, so the CLI, DataFrames, dlt and tracing are tested too.
EVERYTHING = ".[cli,arrow,polars,pandas,dlt,otel]"


def install(session: nox.Session, *groups: str, package: str | None = EVERYTHING) -> None:
    if package is not None:
        session.install("-e", package)
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


@nox.session
def tests(session: nox.Session) -> None:
    """The quick suite over loopback, with branch coverage of modellab_async (>= 95%)."""
    install(session, "test")
    session.run("coverage", "erase")
    # The fidelity tests need their own session's packages; soak tests are marked slow.
    pytest = ["pytest", "-m", "not slow", "--ignore=tests/fidelity", *session.posargs]
    session.run("coverage", "run", "-m", *pytest)
    session.run("coverage", "report", "--fail-under=95")


@nox.session
def fidelity(session: nox.Session) -> None:
    """The fake server checked by tools no one here wrote: datadog-api-client and schemathesis."""
    install(session, "fidelity", package=".")
    session.run("pytest", "-m", "fidelity", "tests/fidelity", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built strictly: a broken link or a missing reference fails it."""
    # mkdocstrings reads the docstrings from the source; the package need not be installed.
    install(session, "docs", package=None)
    # NO_MKDOCS_2_WARNING: mkdocs-material's banner about MkDocs 2, printed on every build.
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def soak(session: nox.Session) -> None:
    """Long soak tests (marked slow): not part of the default run."""
    install(session, "test")
    session.run(
        "pytest", "-m", "slow", "--ignore=tests/fidelity", "--timeout=1800", *session.posargs
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against a loopback page server; rewrites benchmarks/results.md (`-- --quick`)."""
    install(session, "bench")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    install(session, "lint", package=None)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the library, its tests, benchmarks and examples."""
    install(session, "typecheck", "fidelity")
    session.run("mypy")
