"""The sandbox's own JSON API: phones, stats, config, reset, memory bounds."""

import requests

CALLER = "+12535550100"


def _get(sandbox_server, path):
    return requests.get(sandbox_server.base_url + path, timeout=5)


def _post(sandbox_server, path, body=None):
    return requests.post(sandbox_server.base_url + path, json=body or {}, timeout=5)


def test_phones_show_what_each_phone_heard_and_read(
    plivo_client, sandbox_server, receiver
):
    plivo_client.calls.create(
        from_=CALLER, to_="+12535550123", answer_url=receiver.url("/answer")
    )
    plivo_client.messages.create(src=CALLER, dst="+12535550123", text="Snow day.")
    plivo_client.messages.create(src=CALLER, dst="+12535550124", text="Snow day.")
    sandbox_server.wait_idle()

    phones = _get(sandbox_server, "/sandbox/phones").json()["phones"]
    assert [p["number"] for p in phones] == ["+12535550124", "+12535550123"]
    assert "[es-US] Hola, llama la escuela Lincoln." in phones[1]["calls"][0]["heard"]
    assert phones[1]["texts"][0]["text"] == "Snow day."
    assert phones[1]["last_summary"] == "delivered (to phone): Snow day."
    events = _get(sandbox_server, "/sandbox/phones/12535550123").json()["events"]
    call, text = events
    assert call["kind"] == "call"
    assert call["status"] == "completed"
    assert call["heard"][0]["text"] == "Hola, llama la escuela Lincoln."
    assert text["kind"] == "sms"
    assert text["text"] == "Snow day."
    assert text["status"] == "delivered"
    assert _get(sandbox_server, "/sandbox/phones/+19999999999").status_code == 404


def test_call_and_message_lookups(plivo_client, sandbox_server):
    sandbox_server.configure(callbacks=False)
    call = plivo_client.calls.create(
        from_=CALLER, to_="+12535550181", answer_url="http://portal.test/a"
    )
    text = plivo_client.messages.create(src=CALLER, dst="+12535550123", text="Hi")

    found = _get(sandbox_server, f"/sandbox/calls/{call.request_uuid}").json()
    assert found["fate"] == "busy"
    message = _get(sandbox_server, f"/sandbox/messages/{text.message_uuid[0]}").json()
    assert message["status"] == "delivered"


def test_stats_reset_and_config(plivo_client, sandbox_server):
    sandbox_server.configure(callbacks=False)
    plivo_client.calls.create(
        from_=CALLER, to_="+12535550123", answer_url="http://portal.test/a"
    )

    stats = _get(sandbox_server, "/sandbox/stats").json()
    assert stats["calls_created"] == 1
    assert stats["max_calls_created_in_1s"] == 1
    assert stats["api_requests"] == 1

    config = _post(sandbox_server, "/sandbox/config", {"calls_per_second": "50"})
    assert config.json()["calls_per_second"] == 50.0
    assert "auth_token" not in config.json()
    assert _post(sandbox_server, "/sandbox/config", {"nope": 1}).status_code == 400

    assert _post(sandbox_server, "/sandbox/reset").json() == {"reset": True}
    assert _get(sandbox_server, "/sandbox/stats").json()["calls_created"] == 0
    assert _get(sandbox_server, "/sandbox/phones").json()["phones"] == []
    assert _get(sandbox_server, "/sandbox/config").json()["calls_per_second"] == 50.0


def test_memory_is_bounded(plivo_client, sandbox_server):
    sandbox_server.configure(
        callbacks=False, max_phones=2, max_calls=3, max_events_per_phone=2
    )
    for ending in ("10", "11", "12", "12", "12"):
        plivo_client.calls.create(
            from_=CALLER, to_="+125355501" + ending, answer_url="http://portal.test/a"
        )

    phones = [p["number"] for p in sandbox_server.sandbox.store.phone_list()]
    assert phones == ["+12535550112", "+12535550111"]
    assert len(sandbox_server.phone("+12535550112")) == 2
    stats = sandbox_server.stats()
    assert stats["calls_in_memory"] == 3
    assert stats["calls_created"] == 5
