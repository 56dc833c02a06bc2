"""Routes of the accounts and governance areas and the rule each carries."""

ENDPOINTS = {
    "account_requests.new_request": "accounts.request",
    "account_requests.index": "accounts.request",
    "account_requests.queue": "accounts.fulfil",
    "account_requests.show": "accounts.fulfil",
    "account_requests.fulfil": "accounts.fulfil",
    "account_requests.decline": "accounts.fulfil",
    "people.index": "accounts.fulfil",
    "people.show": "accounts.fulfil",
}
