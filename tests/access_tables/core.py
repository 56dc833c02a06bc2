ENDPOINTS = {
    "static": "public",
    "main.home": "home",
    "main.policy_page": "policy.view",
    "main.healthz": "public",
    "accounts.signin": "public",
    "accounts.start_signin": "public",
    "accounts.callback": "public",
    "accounts.signout": "home",
}
