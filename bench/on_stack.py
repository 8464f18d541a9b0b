"""One benchmark on a throwaway durable stack: start it, measure, stop it, keep the result as JSON
and print the report — the same frame for every bench script."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.devstack.stack import Stack, start_stack


def run_on_stack(
    measure: Callable[[Stack, Path], dict[str, Any]], out: str, report: Callable[[dict[str, Any]], str]
) -> None:
    """`measure(stack, work_dir)` on a fresh stack (outside any event loop: alembic runs its own)."""
    with tempfile.TemporaryDirectory(prefix="ow-bench-") as work_dir:
        stack = start_stack(Path(work_dir), durable=True)
        try:
            result = measure(stack, Path(work_dir))
        finally:
            stack.broker.stop()
            stack.postgres.stop()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    print(report(result))
