"""The cost of checking a credential: GET one TMF620 offering with an API key and with an RS256 token,
as ratios to the same GET with authentication off, measured in the same run.

Two SQLite files with the same 1,000 offerings: one with no authentication configured, one with an
API key and a configured RS256 public key (its offerings in the key's organisation). Each is
served by uvicorn (one worker, bench/harness.py settings) on loopback. The three mixes are run in
turn for several rounds (these machines are shared and noisy) and each ratio is of medians.
Bounded: about a minute.

    .venv/bin/python bench/auth.py [--count 1000] [--seconds 3] [--rounds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Req, Result, load, serve
from offer_catalog.auth.keys import create_key
from offer_catalog.documents.model import Actor
from offer_catalog.store import open_store
from offer_catalog.tmf620 import service
from tmf620 import BASE, OFFERING, offering

ORG = "ACME"
ISSUER, AUDIENCE = "https://idp.bench/realms/offers", "offer-catalog"


def fill(url: str, count: int, scope: str, with_key: bool) -> str:
    """Create the offerings in `scope` (and an API key when asked); return the key's secret or ''."""
    store = open_store(url)
    store.migrate()
    rng = random.Random(620)
    secret = ""
    with store.unit_of_work(write=True) as uow:
        for i in range(count):
            service.create(uow, scope=scope, resource=OFFERING, body=offering(i, rng))
        if with_key:
            _, secret = create_key(
                uow,
                name="bench",
                scopes=["catalog:read"],
                org=ORG,
                sandbox=None,
                actor=Actor("bench", "bench"),
            )
    store.close()
    return secret


def rs256(tmp: Path) -> tuple[Path, str]:
    """A PEM public key file and a token signed by its private key (valid for an hour)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp / "public.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench", "scope": "catalog:read", "org": ORG}
    token = jwt.encode({**claims, "iat": now, "exp": now + 3600}, key, algorithm="RS256")
    return pem, token


def main() -> None:
    """Seed both files, measure off / key / token / off, print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run = {"seconds": args.seconds, "concurrency": args.concurrency}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        off_url, on_url = f"sqlite:///{tmp / 'off.db'}", f"sqlite:///{tmp / 'on.db'}"
        fill(off_url, args.count, "tmf620", with_key=False)
        secret = fill(on_url, args.count, f"tmf620:{ORG}", with_key=True)
        pem, token = rs256(tmp)
        ids = [f"po-{i:06d}" for i in random.Random(1).sample(range(args.count), 50)]

        def gets(*headers: tuple[str, str]) -> list[Req]:
            return [Req("GET", f"{BASE}/{i}", headers=headers) for i in ids]

        on_env = {
            "OFFER_CATALOG_DATABASE_URL": on_url,
            "OFFER_CATALOG_JWT_PUBLIC_KEY": str(pem),
            "OFFER_CATALOG_JWT_ISSUER": ISSUER,
            "OFFER_CATALOG_JWT_AUDIENCE": AUDIENCE,
        }
        off_env = {"OFFER_CATALOG_DATABASE_URL": off_url}
        mixes = {
            "auth off": gets(),
            "api key": gets(("x-api-key", secret)),
            "rs256 token": gets(("Authorization", f"Bearer {token}")),
        }
        runs: dict[str, list[Result]] = {name: [] for name in mixes}
        with ExitStack() as servers:
            off = servers.enter_context(serve("offer_catalog.app:app_from_env", factory=True, env=off_env))
            on = servers.enter_context(serve("offer_catalog.app:app_from_env", factory=True, env=on_env))
            for _ in range(args.rounds):
                for name, requests in mixes.items():
                    runs[name].append(load(off if name == "auth off" else on, requests, **run))
    rps = {name: statistics.median(r.rps for r in results) for name, results in runs.items()}
    for name, results in runs.items():
        best = max(results, key=lambda r: r.rps)
        rounds = " ".join(f"{r.rps:.0f}" for r in results)
        print(
            f"{best.line('GET productOffering/{id} ' + name)}  median {rps[name]:.0f} req/s "
            f"({rounds})  {rps[name] / rps['auth off']:5.2f}x of auth off"
        )
    bad = {name: [r.statuses for r in results if r.errors] for name, results in runs.items()}
    if any(bad.values()):
        sys.exit(f"error statuses seen: {bad}")


if __name__ == "__main__":
    main()
