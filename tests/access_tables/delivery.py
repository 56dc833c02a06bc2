ENDPOINTS = {
    "delivery.progress_page": "delivery.view",
    "delivery.progress_partial": "delivery.view",
    "delivery.report": "delivery.view",
    "delivery.not_reached_csv": "delivery.view",
    "delivery.simulated_phones": "delivery.view",
    "delivery.answer": "public",
    "delivery.hangup": "public",
    "delivery.machine": "public",
    "delivery.sms_status": "public",
    "delivery.inbound_sms": "public",
    "delivery.audio": "public",
}
