"""The Python clients the benchmark compares against, one crawl per call, one JSON line out.

    python bench/clients.py harborapi URL USER SECRET [MAX_CONNECTIONS]
    python bench/clients.py naive URL USER SECRET

`harborapi`: the reference client's `ext.api.get_artifacts` (its defaults unless
MAX_CONNECTIONS is given). `naive`: what a hand-written script does — sequential requests,
`page_size=10`, following `Link` headers, one keep-alive connection.
"""

import asyncio
import base64
import http.client
import json
import logging
import re
import sys
import time
import urllib.parse

API = "/api/v2.0"


def run_harborapi(url: str, user: str, secret: str, max_connections: int | None) -> dict:
    from harborapi import HarborAsyncClient
    from harborapi.ext.api import get_artifacts

    logging.disable(logging.CRITICAL)
    errors: list[Exception] = []
    kwargs = {} if max_connections is None else {"max_connections": max_connections}

    async def crawl() -> list:
        client = HarborAsyncClient(url=f"{url}{API}", username=user, secret=secret)
        return await get_artifacts(client, callback=errors.extend, **kwargs)

    start = time.perf_counter()
    artifacts = asyncio.run(crawl())
    elapsed = time.perf_counter() - start
    return {
        "elapsed_ms": elapsed * 1000,
        "artifacts": len(artifacts),
        "errors": len(errors),
        "first_error": str(errors[0])[:200] if errors else None,
    }


class Naive:
    """Sequential GETs over one keep-alive connection, following `Link: <...>; rel="next"`."""

    def __init__(self, url: str, user: str, secret: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
        self.requests = 0

    def get_all(self, path: str) -> list:
        items: list = []
        next_path: str | None = path
        while next_path:
            self.conn.request("GET", next_path, headers=self.headers)
            resp = self.conn.getresponse()
            body = resp.read()
            self.requests += 1
            if resp.status != 200:
                raise RuntimeError(f"GET {next_path}: HTTP {resp.status}")
            items.extend(json.loads(body))
            match = re.search(r'<([^>]+)>;\s*rel="next"', resp.getheader("Link") or "")
            next_path = match.group(1) if match else None
        return items

    def crawl(self) -> int:
        count = 0
        for project in self.get_all(f"{API}/projects?page_size=10"):
            name = project["name"]
            repos = self.get_all(
                f"{API}/projects/{urllib.parse.quote(name, safe='')}/repositories?page_size=10"
            )
            for repo in repos:
                short = repo["name"][len(name) + 1 :]
                twice = urllib.parse.quote(urllib.parse.quote(short, safe=""), safe="")
                count += len(
                    self.get_all(
                        f"{API}/projects/{urllib.parse.quote(name, safe='')}/repositories/"
                        f"{twice}/artifacts?page_size=10&with_tag=true&with_label=true"
                        "&with_scan_overview=true"
                    )
                )
        return count


def run_naive(url: str, user: str, secret: str) -> dict:
    client = Naive(url, user, secret)
    start = time.perf_counter()
    count = client.crawl()
    elapsed = time.perf_counter() - start
    return {"elapsed_ms": elapsed * 1000, "artifacts": count, "errors": 0}


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[0] not in ("harborapi", "naive"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, url, user, secret = argv[:4]
    url = url.rstrip("/")
    if kind == "harborapi":
        bound = int(argv[4]) if len(argv) > 4 else None
        result = run_harborapi(url, user, secret, bound)
    else:
        result = run_naive(url, user, secret)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
