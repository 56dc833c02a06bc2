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
ENDPOINTS.update(
    {
        "training.index": "training.manage",
        "training.due_csv": "training.manage",
        "training.new_session": "training.manage",
        "audit.index": "audit.view",
        "audit.export": "audit.view",
        "settings.index": "settings.edit",
        "settings.save": "settings.edit",
        "settings.save_hours": "settings.edit",
    }
)
# rq-dashboard's own views, wrapped by portal.governance.ops.
ENDPOINTS.update(
    dict.fromkeys(
        [
            "rq_dashboard.static",
            "rq_dashboard.favicon",
            "rq_dashboard.queues_overview",
            "rq_dashboard.workers_overview",
            "rq_dashboard.jobs_overview",
            "rq_dashboard.job_view",
            "rq_dashboard.delete_job_view",
            "rq_dashboard.requeue_job_view",
            "rq_dashboard.requeue_all",
            "rq_dashboard.empty_queue",
            "rq_dashboard.compact_queue",
            "rq_dashboard.list_queues",
            "rq_dashboard.list_jobs",
            "rq_dashboard.job_info",
            "rq_dashboard.list_workers",
        ],
        "ops.dashboard",
    )
)
