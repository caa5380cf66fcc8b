#!/usr/bin/env bash
# Build the offer-catalog image from the local base image, then start it on SQLite and wait for /ready.
#   make image   (runs this; prints how long each step took)
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-localhost/offer-catalog:latest}"
BASE_IMAGE="${BASE_IMAGE:-localhost/offer-catalog-base:bookworm}"
PORT="${PORT:-18080}"

started=$(date +%s)
BASE_IMAGE="$BASE_IMAGE" scripts/build-base-image.sh
based=$(date +%s)
podman build --network=host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f Containerfile .
built=$(date +%s)

name="offer-catalog-smoke-$$"
podman run -d --rm --name "$name" --network=host \
    -e OFFER_CATALOG_PORT="$PORT" -v offer-catalog-smoke-data:/data "$IMAGE" >/dev/null
trap 'podman stop -t 10 "$name" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 60); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/ready', timeout=2)" 2>/dev/null; then
        ready=$(date +%s)
        echo "image $IMAGE answers /ready on SQLite"
        echo "base image: $((based - started)) s, image build: $((built - based)) s, start to ready: $((ready - built)) s"
        exit 0
    fi
    sleep 1
done
echo "the container did not answer /ready; its log:" >&2
podman logs "$name" >&2 || true
exit 1
