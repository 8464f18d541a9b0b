"""`make schemas`: write schemas/<topic>.json from the contract models (the contract test checks drift)."""

from __future__ import annotations

from pathlib import Path

from services.common.contracts.topics import TOPICS

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"


def expected_files() -> dict[Path, str]:
    return {SCHEMA_DIR / f"{topic.name}.json": topic.schema_text() for topic in TOPICS.values()}


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in expected_files().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(SCHEMA_DIR.parent)}")


if __name__ == "__main__":
    main()
