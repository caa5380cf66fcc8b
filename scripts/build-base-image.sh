#!/usr/bin/env bash
# Build the container base image locally (no registry needed): a minimal Debian bookworm root made
# with debootstrap from the apt mirror this machine uses, imported into podman.
#   needs: root, podman, debootstrap  (apt-get install -y podman debootstrap)
#   makes: localhost/offer-catalog-base:bookworm  (python3 3.11, venv, ca-certificates)
set -euo pipefail

IMAGE="${BASE_IMAGE:-localhost/offer-catalog-base:bookworm}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"

if podman image exists "$IMAGE"; then
    echo "base image $IMAGE exists (podman rmi it to rebuild)"
    exit 0
fi

ROOT="$(mktemp -d /var/tmp/offer-catalog-rootfs.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

echo "debootstrap $SUITE from $MIRROR into $ROOT"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "$SUITE" "$ROOT" "$MIRROR"
# Keep the image small: no apt lists, caches or documentation.
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/locale/*

tar -C "$ROOT" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$IMAGE"
echo "built $IMAGE"
