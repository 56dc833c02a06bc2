"""Steps the accounts tests share: send a request, fulfil it."""

from sqlalchemy import select

from portal.accounts.requests import AccountRequest
from portal.extensions import db


def submit(client, csrf, **form):
    """POST the request form; returns the response."""
    data = {"kind": "add", "reason": "New in the role", **form}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    return client.post("/accounts/requests/new", data=data, headers=csrf)


def latest_request(app) -> AccountRequest:
    with app.app_context():
        return db.session.scalar(
            select(AccountRequest).order_by(AccountRequest.id.desc())
        )


def fulfil(client, csrf, request_id, **form):
    data = {f"f-{k}": v for k, v in form.items()}
    return client.post(
        f"/accounts/requests/{request_id}/fulfil", data=data, headers=csrf
    )
