"""The SQLite file's health: replaced or removed under the service, or on a failing disk."""

from __future__ import annotations

import logging
import os
import sqlite3

from offer_catalog.errors import StoreUnavailable

log = logging.getLogger("offer_catalog.store")
# What /ready writes (and removes) beside the database to see whether a failing disk recovered.
_PROBE_BYTES = 64 * 1024
# Errors that say the disk, not the request, is at fault.
_DISK_FAULTS = ("readonly database", "disk is full", "disk i/o error", "unable to open database")


class FileHealth:
    """Checks SqliteStore runs before writes and on ping (its path, file identity and last fault)."""

    path: str
    _identity: tuple[int, int] | None  # (device, inode) of the file opened
    _fault: str | None  # why the last write failed, while the disk is at fault

    def _check_identity(self) -> None:
        """StoreUnavailable when the database file was removed or replaced since it was opened."""
        if self._identity is None:
            return
        try:
            info = os.stat(self.path)
            found: tuple[int, int] | None = (info.st_dev, info.st_ino)
        except FileNotFoundError:
            found = None
        if found != self._identity:
            what = "removed" if found is None else "replaced"
            log.critical(
                "the SQLite database file was %s while the service runs: writes are refused; "
                "restore it, or restart the service on the new file",
                what,
                extra={"path": self.path},
            )
            raise StoreUnavailable(f"the database file {self.path!r} was {what} while the service ran")

    def _disk_fault(self, exc: sqlite3.OperationalError) -> StoreUnavailable | None:
        text = str(exc).lower()
        if not any(fault in text for fault in _DISK_FAULTS):
            return None
        self._fault = text
        log.error("a write failed for the disk: %s", text, extra={"path": self.path})
        return StoreUnavailable(f"the database cannot be written: {exc}", details={"reason": text})

    def _check_disk(self) -> None:
        """StoreUnavailable while the file system is read-only, or still full after a failed write."""
        folder = os.path.dirname(os.path.abspath(self.path))
        stats = os.statvfs(folder)
        if stats.f_flag & os.ST_RDONLY:
            raise StoreUnavailable(f"the file system of {self.path!r} is read-only")
        if self._fault is None:
            return
        # After a failed write, only a real write shows that the disk has recovered.
        probe = f"{self.path}.probe"
        try:
            with open(probe, "wb") as file:
                file.write(bytes(_PROBE_BYTES))
                file.flush()
                os.fsync(file.fileno())
            os.unlink(probe)
        except OSError as exc:
            raise StoreUnavailable(
                f"the last write failed ({self._fault}); the disk still fails: {exc}"
            ) from exc
        self._fault = None
