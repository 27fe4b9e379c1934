"""Container HEALTHCHECK of the Java Nacos image: exit 0 once Nacos 3 reports ready."""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("NACOS_PORT", "8848")
    url = f"http://127.0.0.1:{port}/nacos/v3/admin/core/state/readiness"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=4) as resp:
            return 0 if resp.status == 200 else 1
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
