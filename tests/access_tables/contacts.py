ENDPOINTS = {
    "contacts.daily_log": "contacts.log",
    "contacts.building_log": "contacts.log",
    "contacts.log_csv": "contacts.log",
    "contacts.assign": "contacts.assign",
    "contacts.my_problems": "contacts.work",
    "contacts.resolve": "contacts.work",
}
