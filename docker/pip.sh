#!/bin/sh
# pip inside `docker build`: the build args PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_TRUSTED_HOST
# and PIP_DEFAULT_TIMEOUT mirror the host's pip settings (scripts/docker-setup and compose pass
# them); an empty one is dropped, because pip would take "" as a value. No cache, no .pyc.
set -eu
for name in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then unset "$name"; fi
done
exec python -m pip "$@"
