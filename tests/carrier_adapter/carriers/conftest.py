"""Mapper tests share `recorded.py`; its asserts get pytest's detailed failure messages too."""

import pytest

pytest.register_assert_rewrite("tests.carrier_adapter.carriers.recorded")
