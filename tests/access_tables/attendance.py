ENDPOINTS = {
    "attendance.index": "attendance.view",
    "attendance.day": "attendance.view",
    "attendance.calls": "attendance.view",
    "attendance.hold": "attendance.hold",
    "attendance.upload": "attendance.hold",
    "attendance.templates": "attendance.templates",
    "attendance.edit_template": "attendance.templates",
    "attendance.preview_template": "attendance.templates",
    "attendance.preview_audio": "attendance.templates",
    "attendance.building_report": "attendance.view",
}
