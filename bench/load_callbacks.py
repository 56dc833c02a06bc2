"""The provider's side of the load bench: signed hangup callbacks, open loop.

Used by bench/load.py. The callbacks are signed before the clock starts and
posted from a process of their own, so neither the signing nor the staff
threads of the main process slow the rate down.
"""

import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select

from bench.measure import broken, latency, percentile

AUTH_TOKEN = "bench-token"


def callback_pairs(message_id: int, limit: int = 20000) -> list[tuple]:
    """(delivery id, attempt id, provider id, address) of dialled deliveries."""
    from portal.delivery.models import Attempt, Delivery
    from portal.extensions import db

    db.session.rollback()
    query = (
        select(Delivery.id, Attempt.id, Attempt.provider_id, Delivery.address)
        .join(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Delivery.message_id == message_id)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(query)]


def signed_hangup(base: str, pair: tuple) -> tuple[str, dict, dict]:
    """URL, form and headers of a hangup callback, signed like Plivo's."""
    from portal.telephony import signatures

    delivery_id, attempt_id, provider_id, address = pair
    url = f"{base}/delivery/provider/hangup?delivery={delivery_id}&attempt={attempt_id}"
    form = {
        "CallUUID": provider_id or "call-uuid",
        "ALegRequestUUID": provider_id or "request-uuid",
        "From": "+12535550100",
        "To": address,
        "CallStatus": "completed",
        "HangupCause": "NORMAL_CLEARING",
        "Duration": "12",
        "BillDuration": "12",
    }
    nonce = secrets.token_hex(8)
    signature = signatures.sign("POST", url, form, AUTH_TOKEN, nonce)
    headers = {
        signatures.SIGNATURE_HEADER: signature,
        signatures.NONCE_HEADER: nonce,
    }
    return url, form, headers


def callbacks(base, pairs, rate, seconds, start_at, results) -> None:
    """In a child process: post pre-signed callbacks at `rate` (open loop).

    Sends `results` one (due, sent, done, cause) row per callback, times
    relative to `start_at` (a time.time() both processes agree on).
    """
    total = int(rate * seconds)
    signed = [signed_hangup(base, pairs[n % len(pairs)]) for n in range(total)]
    local = threading.local()
    rows, lock = [], threading.Lock()

    def post(n, due):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        url, form, headers = signed[n]
        sent = time.time() - start_at
        try:
            response = session.post(url, data=form, headers=headers, timeout=30)
            cause = None if response.ok else f"HTTP {response.status_code}"
        except requests.RequestException as error:
            cause = broken(error)
        with lock:
            rows.append((due, sent, time.time() - start_at, cause))

    time.sleep(max(0.0, start_at - time.time()))
    with ThreadPoolExecutor(64) as pool:
        for n in range(total):
            due = n / rate
            delay = start_at + due - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(post, n, due)
    results.send(rows)
    results.close()


def callback_figures(rows: list[tuple], seconds: float, distinct: int) -> dict:
    """Rate achieved and latency from due time (open loop) and from sending.

    The rate divides the answers by the time until the last one came, not
    by the `seconds` asked, so a run that falls behind shows a lower rate.
    """
    answered = [r for r in rows if r[3] is None]
    took = max([seconds] + [done for _due, _sent, done, _cause in rows])
    figures = {
        "posted": len(rows),
        "answered_ok": len(answered),
        "per_s": round(len(answered) / took, 1),
        "took_s": round(took, 1),
        "from_due": latency([(done - due) * 1000 for due, _s, done, _c in rows]),
        "from_sent": latency([(done - sent) * 1000 for _d, sent, done, _c in rows]),
        "send_lag_p99_ms": round(
            percentile(
                [(sent - due) * 1000 for due, sent, _d, _c in rows] or [0], 0.99
            ),
            1,
        ),
        "errors": len(rows) - len(answered),
        "causes": dict(Counter(r[3] for r in rows if r[3] is not None)),
        "distinct_attempts": distinct,
    }
    due, sent = figures["from_due"], figures["from_sent"]
    print(
        f"callbacks: {figures['answered_ok']} answered of {figures['posted']} posted "
        f"in {figures['took_s']} s = {figures['per_s']}/s; from due p50 "
        f"{due['p50_ms']} p95 {due['p95_ms']} p99 {due['p99_ms']} ms; "
        f"from sent p50 {sent['p50_ms']} p99 {sent['p99_ms']} ms; "
        f"errors {figures['errors']} {figures['causes'] or ''}; "
        f"{distinct} distinct attempts (later posts are replays)"
    )
    return figures
