"""Injected faults: per-number triggers (first request only) and a set rate."""

import pytest
import requests
from plivo import exceptions

CALLER = "+12535550100"


def _call(client, to):
    return client.calls.create(from_=CALLER, to_=to, answer_url="http://portal.test/a")


@pytest.fixture
def faulty(sandbox_server):
    sandbox_server.configure(number_faults=True, callbacks=False)
    return sandbox_server


def test_number_ending_95_gets_429_once(faulty, plivo_client):
    with pytest.raises(exceptions.PlivoRestError, match="429"):
        _call(plivo_client, "+12535550195")

    assert _call(plivo_client, "+12535550195").request_uuid
    assert faulty.stats()["responses_429"] == 1


def test_number_ending_96_gets_500_and_nothing_is_created(faulty, plivo_client):
    plivo_client.voice_retry_count = 2  # the SDK's own retries spent: send once
    with pytest.raises(exceptions.PlivoServerError):
        _call(plivo_client, "+12535550196")

    assert faulty.phone("+12535550196") == []


def test_500_after_create_makes_the_sdk_dial_twice(faulty, plivo_client, capsys):
    response = _call(plivo_client, "+12535550197")

    # The SDK retried the 500 by itself; the first request had created a call.
    assert "Fallback for URL" in capsys.readouterr().out
    calls = [e for e in faulty.phone("+12535550197") if e["kind"] == "call"]
    assert len(calls) == 2
    assert response.request_uuid == calls[-1]["request_uuid"]
    assert faulty.stats()["counts"]["fault_500_after_create"] == 1


def test_slow_reply_still_succeeds(faulty, plivo_client):
    assert _call(plivo_client, "+12535550198").request_uuid
    assert faulty.stats()["counts"]["fault_slow"] == 1


def test_timeout_after_accepting_leaves_a_call_behind(faulty):
    client = faulty.client(timeout=0.5)

    with pytest.raises(requests.ReadTimeout):
        _call(client, "+12535550199")

    calls = faulty.phone("+12535550199")
    assert len(calls) == 1
    assert faulty.stats()["counts"]["fault_timeout_after_accept"] == 1


def test_fault_rate_applies_to_every_create(sandbox_server, plivo_client):
    sandbox_server.configure(fault_rate=1.0, fault_kinds=["429"], callbacks=False)

    for ending in range(10, 15):
        with pytest.raises(exceptions.PlivoRestError, match="429"):
            _call(plivo_client, f"+125355501{ending}")
    sandbox_server.configure(fault_rate=0.0)
    assert _call(plivo_client, "+12535550110").request_uuid
    assert sandbox_server.stats()["responses_429"] == 5


def test_fault_rate_is_repeatable_with_a_seed(sandbox_server, plivo_client):
    sandbox_server.configure(
        fault_rate=0.5, fault_kinds=["500"], callbacks=False, seed=7
    )
    plivo_client.voice_retry_count = 2

    def outcomes():
        results = []
        for ending in range(10, 30):
            plivo_client.voice_retry_count = 2
            try:
                _call(plivo_client, f"+125355501{ending}")
                results.append("ok")
            except exceptions.PlivoServerError:
                results.append("500")
        return results

    first = outcomes()
    sandbox_server.reset()
    assert outcomes() == first
    assert 0 < first.count("500") < 20


def test_unknown_fault_kind_is_refused(sandbox_server):
    response = requests.post(
        f"{sandbox_server.base_url}/sandbox/config",
        json={"fault_kinds": ["explode"]},
        timeout=5,
    )

    assert response.status_code == 400
    assert "explode" in response.json()["error"]
