"""The README stays true: every setting a user can set is documented there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.test_compose import setting_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("variable", sorted(setting_names()))
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README or f"`{variable}__" in README, f"{variable} is not documented in README.md"
