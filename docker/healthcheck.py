"""Container HEALTHCHECK: exit 0 when this service's GET /health answers 200, else 1.

The slim Python image has no curl, so the check is Python's standard library only. It asks
127.0.0.1 on OCR_MESH_PORT (each image sets its default), never through a proxy.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("OCR_MESH_PORT", "8080")
    url = f"http://127.0.0.1:{port}/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "4"))) as resp:
            return 0 if resp.status == 200 else 1
    except urllib.error.HTTPError as exc:  # 503 while starting or stopping
        print(f"{url}: {exc.code}", file=sys.stderr)
    except OSError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
