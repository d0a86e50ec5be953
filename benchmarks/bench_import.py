"""`import modellab_async` in a fresh interpreter, beside the imports it is weighed against."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from ._harness import spread
from ._report import Section, show_seconds, table
from ._settings import Settings

__all__ = ["MODULES", "run"]

MODULES = (
    ("modellab_async", "modellab_async"),
    ("aiohttp", "aiohttp (reference)"),
    ("datadog_api_client.v2.api.model_lab_api_api", "datadog-api-client's ModelLabAPIApi"),
)

# Times the import alone, not the interpreter's start; says whether aiohttp came along.
_PROBE = (
    "import sys, time; start = time.perf_counter(); __import__(sys.argv[1]); "
    "print(time.perf_counter() - start, 'aiohttp' in sys.modules)"
)
_TIMEOUT = 60.0


def _import_once(module: str) -> tuple[float, bool]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, module],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=True,
    )
    elapsed, aiohttp_loaded = completed.stdout.split()
    return float(elapsed), aiohttp_loaded == "True"


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Import each module `import_samples` times, each time in a new interpreter, rotating."""
    samples: dict[str, list[float]] = {module: [] for module, _ in MODULES}
    loads_aiohttp = False
    for sample in range(settings.import_samples):
        shift = sample % len(MODULES)
        for module, _ in (*MODULES[shift:], *MODULES[:shift]):
            elapsed, aiohttp_loaded = _import_once(module)
            samples[module].append(elapsed)
            if module == "modellab_async":
                loads_aiohttp = aiohttp_loaded
    rows = [[label, show_seconds(spread(samples[module]))] for module, label in MODULES]
    progress(f"import: modellab_async {show_seconds(spread(samples['modellab_async']))}")
    intro = (
        f"Median of {settings.import_samples} fresh interpreters each (interpreter start-up "
        f"excluded). `import modellab_async` {'loads' if loads_aiohttp else 'does not load'} "
        "aiohttp; a client loads it when it opens."
    )
    body = f"{intro}\n\n{table(['import', 'time'], rows)}"
    summary = (("`import modellab_async`", show_seconds(spread(samples["modellab_async"]))),)
    return Section("Import time", body, (), summary)
