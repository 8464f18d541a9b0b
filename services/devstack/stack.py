"""A throwaway embedded stack on free ports, migrated: for the tests and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.common.migrations import upgrade
from services.devstack.broker import EmbeddedBroker
from services.devstack.postgres import EmbeddedPostgres
from services.devstack.processes import free_port


@dataclass
class Stack:
    postgres: EmbeddedPostgres
    broker: EmbeddedBroker

    @property
    def database_url(self) -> str:
        return self.postgres.url

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers


def start_stack(work_dir: Path, *, durable: bool = False) -> Stack:
    """Tests run with fsync off (throwaway data); benchmarks ask for a durable server."""
    postgres = EmbeddedPostgres(work_dir / "pg", free_port(), fast_and_unsafe=not durable)
    broker = EmbeddedBroker(free_port(), log_path=work_dir / "broker.log")
    postgres.start()
    broker.start()
    for package in ("services.carrier_adapter", "services.order_watch"):
        upgrade(package, postgres.url)
    return Stack(postgres, broker)
