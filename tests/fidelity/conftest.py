"""Starts the simulator binary on a free loopback port for the fidelity tests."""

import json
import os
import re
import subprocess
import urllib.request

import pytest

SIM_BIN = os.environ.get("HARBOR_SIM_BIN", "harbor-sim")


class Simulator:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [SIM_BIN, "--addr", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1).rstrip("/")
                break
        else:
            raise RuntimeError(f"harbor-sim exited with {self.proc.wait()} before listening")

    def truth(self, principal: str) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_sim/truth?as={principal}") as resp:
            return json.load(resp)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def simulator():
    started: list[Simulator] = []

    def start(*args: str) -> Simulator:
        sim = Simulator(*args)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
