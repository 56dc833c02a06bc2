"""The sandbox's REST API through the real plivo SDK: shapes, auth, checks, 429."""

import plivo
import pytest
import requests
from plivo import exceptions

CALLER = "+12535550100"


def _call(client, to, receiver=None, **extra):
    answer = receiver.url("/answer") if receiver else "http://portal.test/answer"
    return client.calls.create(from_=CALLER, to_=to, answer_url=answer, **extra)


def test_call_create_answers_like_plivo(plivo_client, sandbox_server):
    response = _call(plivo_client, "+12535550123")

    assert response.message == "call fired"
    assert len(response.request_uuid) == 36
    assert response.api_id
    call = sandbox_server.call(response.request_uuid)
    assert call["to"] == "+12535550123"
    assert call["fate"] == "answered"


def test_message_create_returns_a_list_of_uuids(plivo_client, sandbox_server):
    response = plivo_client.messages.create(
        src=CALLER, dst="+12535550123", text="School is closed today."
    )

    assert response.message == "message(s) queued"
    assert isinstance(response.message_uuid, list)
    assert len(response.message_uuid) == 1
    events = sandbox_server.phone("+12535550123")
    assert events[0]["text"] == "School is closed today."


def test_wrong_token_is_refused(sandbox_server):
    client = plivo.RestClient(sandbox_server.auth_id, "not-the-token")
    from portal.sandbox.testing import point_client_at

    point_client_at(client, sandbox_server.base_url)

    with pytest.raises(exceptions.AuthenticationError):
        _call(client, "+12535550123")
    assert sandbox_server.stats()["calls_created"] == 0


def test_auth_id_in_path_must_match(sandbox_server):
    response = requests.post(
        f"{sandbox_server.base_url}/v1/Account/MAYYYYYYYYYYYYYYYYYY/Call/",
        json={"from": CALLER, "to": "+12535550123", "answer_url": "http://x.test/"},
        auth=(sandbox_server.auth_id, sandbox_server.auth_token),
        timeout=5,
    )

    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.parametrize("to", ["12345", "+1253555012a", "+12535550194"])
def test_bad_destination_is_a_validation_error(plivo_client, to):
    with pytest.raises(exceptions.ValidationError, match="invalid to number"):
        _call(plivo_client, to)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"to": "+12535550123", "answer_url": "http://x.test/"}, "from"),
        ({"from": CALLER, "answer_url": "http://x.test/"}, "to"),
        ({"from": CALLER, "to": "+12535550123"}, "answer_url"),
        ({"from": CALLER, "to": "+12535550123", "answer_url": "ftp://x"}, "answer_url"),
    ],
)
def test_missing_or_bad_call_parameters_are_400(sandbox_server, body, error):
    response = requests.post(
        f"{sandbox_server.base_url}/v1/Account/{sandbox_server.auth_id}/Call/",
        json=body,
        auth=(sandbox_server.auth_id, sandbox_server.auth_token),
        timeout=5,
    )

    assert response.status_code == 400
    assert error in response.json()["error"]
    assert response.json()["api_id"]


def test_message_to_a_malformed_number_is_refused(plivo_client):
    with pytest.raises(exceptions.ValidationError, match="invalid dst number"):
        plivo_client.messages.create(src=CALLER, dst="555", text="Hi")


def test_requests_beyond_the_api_rate_get_429(plivo_client, sandbox_server):
    sandbox_server.configure(api_limit=3, api_window_seconds=600)
    for ending in ("10", "11", "12"):
        _call(plivo_client, "+125355501" + ending)

    with pytest.raises(exceptions.PlivoRestError, match="429"):
        _call(plivo_client, "+12535550113")

    stats = sandbox_server.stats()
    assert stats["responses_429"] == 1
    assert stats["calls_created"] == 3


def test_calls_beyond_the_per_second_limit_are_queued(plivo_client, sandbox_server):
    sandbox_server.configure(calls_per_second=0.5, callbacks=False)

    first = _call(plivo_client, "+12535550120")
    later = [_call(plivo_client, f"+1253555012{n}") for n in range(1, 4)]

    assert first.message == "call fired"
    assert {r.message for r in later} == {"call queued"}
    queued = plivo_client.queued_calls.get(later[-1].request_uuid)
    assert queued.call_status == "queued"
    stats = sandbox_server.stats()
    assert stats["counts"]["calls_queued_by_limit"] == 3
    assert stats["max_calls_created_in_1s"] == 4
    assert stats["max_calls_dialled_in_1s"] == 1


def test_a_queued_call_can_be_cancelled(plivo_client, sandbox_server):
    sandbox_server.configure(calls_per_second=0.5)
    _call(plivo_client, "+12535550120")
    second = _call(plivo_client, "+12535550121")

    plivo_client.calls.cancel(second.request_uuid)

    assert sandbox_server.call(second.request_uuid)["status"] == "cancel"
    with pytest.raises(exceptions.ResourceNotFoundError):
        plivo_client.queued_calls.get(second.request_uuid)


def test_form_encoded_create_and_bad_json(sandbox_server):
    url = f"{sandbox_server.base_url}/v1/Account/{sandbox_server.auth_id}/Call/"
    auth = (sandbox_server.auth_id, sandbox_server.auth_token)
    form = {"from": CALLER, "to": "+12535550123", "answer_url": "http://x.test/"}

    created = requests.post(url, data=form, auth=auth, timeout=5)
    broken = requests.post(
        url,
        data="{not json",
        headers={"Content-Type": "application/json"},
        auth=auth,
        timeout=5,
    )

    assert created.status_code == 201
    assert created.json()["message"] == "call fired"
    assert broken.status_code == 400
