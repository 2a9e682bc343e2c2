"""Fidelity: harborapi, whose models come from Harbor's own spec, reads the simulator
without a parse error and finds exactly the artifacts the dataset holds."""

import asyncio

import pytest
from harborapi import HarborAsyncClient
from harborapi.ext.api import get_artifacts

PRINCIPALS = {
    "admin": ("admin", "Harbor12345"),
    "robot$lens-audit": ("robot$lens-audit", "RobotSecret1"),
}


def crawl(url: str, username: str, secret: str) -> tuple[list, list[Exception]]:
    client = HarborAsyncClient(url=f"{url}/api/v2.0", username=username, secret=secret)
    errors: list[Exception] = []
    artifacts = asyncio.run(get_artifacts(client, callback=errors.extend))
    return artifacts, errors


@pytest.mark.parametrize("version", ["2.10", "2.13"])
@pytest.mark.parametrize("principal", sorted(PRINCIPALS))
def test_get_artifacts_returns_exactly_the_dataset(simulator, version, principal):
    sim = simulator("--preset", "small", "--version", version, "--seed", "7")
    artifacts, errors = crawl(sim.url, *PRINCIPALS[principal])

    assert errors == []
    got = sorted((a.repository.name, a.artifact.digest) for a in artifacts)
    expected = sorted((row["repository"], row["digest"]) for row in sim.truth(principal))
    assert len(expected) > 0
    assert len(got) == len(expected)
    assert got == expected


def test_hostile_strings_parse_into_harborapi_models(simulator):
    sim = simulator("--preset", "tiny", "--version", "2.13", "--hostile")
    artifacts, errors = crawl(sim.url, *PRINCIPALS["admin"])

    assert errors == []
    got = sorted((a.repository.name, a.artifact.digest) for a in artifacts)
    assert got == sorted((row["repository"], row["digest"]) for row in sim.truth("admin"))


def test_scan_overview_parses_into_harborapi_models(simulator):
    sim = simulator("--preset", "small", "--version", "2.13", "--seed", "7")
    artifacts, errors = crawl(sim.url, *PRINCIPALS["admin"])

    assert errors == []
    scanned = [a for a in artifacts if a.artifact.scan_overview]
    expected = [row for row in sim.truth("admin") if row["scan"]["status"] != "NotScanned"]
    assert len(scanned) == len(expected)
