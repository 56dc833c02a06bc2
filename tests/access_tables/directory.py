ENDPOINTS = {
    "directory.import_runs": "directory.import",
    "directory.import_run": "directory.import",
    "directory.import_run_progress": "directory.import",
}
