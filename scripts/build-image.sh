#!/usr/bin/env bash
# Build the offer-catalog image from the local base image, then start it on SQLite and wait for /ready.
#   make image   (runs this; prints how long each step took)
# Where podman cannot run containers (no cgroup controllers or no CAP_SYS_RESOURCE for rlimits, as
# in some sandboxes), the check falls back to running the image's own filesystem under chroot as
# its user, and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${IMAGE:-localhost/offer-catalog:latest}"
BASE_IMAGE="${BASE_IMAGE:-localhost/offer-catalog-base:bookworm}"
PORT="${PORT:-18080}"

started=$(date +%s)
BASE_IMAGE="$BASE_IMAGE" scripts/build-base-image.sh
based=$(date +%s)

# chroot isolation: RUN steps need no OCI runtime or cgroups. A CA bundle (for an intercepting
# proxy) is mounted for the build only. Docker format keeps the HEALTHCHECK.
cert_args=()
CA_BUNDLE="${CA_BUNDLE:-${PIP_CERT:-${SSL_CERT_FILE:-}}}"
if [ -n "$CA_BUNDLE" ] && [ -f "$CA_BUNDLE" ]; then
    cert_args=(-v "$CA_BUNDLE:/run/build-ca.crt:ro" --build-arg PIP_CERT=/run/build-ca.crt)
fi
podman build --format docker --isolation=chroot --network=host "${cert_args[@]}" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f Containerfile .
built=$(date +%s)
echo "base image: $((based - started)) s, image build: $((built - based)) s"

wait_ready() {
    for _ in $(seq 1 60); do
        if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/ready', timeout=2)" 2>/dev/null; then
            echo "$1 answers /ready on SQLite after $(($(date +%s) - built)) s"
            return 0
        fi
        sleep 1
    done
    return 1
}

name="offer-catalog-smoke-$$"
if podman run -d --rm --name "$name" --network=host -e OFFER_CATALOG_PORT="$PORT" \
        -v offer-catalog-smoke-data:/data "$IMAGE" >/dev/null; then
    trap 'podman stop -t 10 "$name" >/dev/null 2>&1 || true' EXIT
    wait_ready "container $name of $IMAGE" && exit 0
    podman logs "$name" >&2 || true
    exit 1
fi

echo "podman cannot run containers here (the error above); running the image's filesystem under" \
     "chroot as its user (uid 10001) instead" >&2
root=$(podman image mount "$IMAGE")
data=$(mktemp -d)
chown 10001 "$data"
unshare -m sh -c "mount --bind '$data' '$root/data' && mount --bind /dev '$root/dev' \
    && mount -t proc proc '$root/proc' \
    && exec chroot --userspec=10001:10001 '$root' /usr/bin/env -i PATH=/opt/venv/bin:/usr/bin:/bin \
       HOME=/data OFFER_CATALOG_HOST=127.0.0.1 OFFER_CATALOG_PORT=$PORT \
       OFFER_CATALOG_DATABASE_URL=sqlite:////data/offer-catalog.db sh -c 'cd /data && exec offer-catalog serve'" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; podman image unmount "$IMAGE" >/dev/null || true; rm -rf "$data"' EXIT
wait_ready "the image's entrypoint (under chroot)" && exit 0
exit 1
