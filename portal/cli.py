"""`flask --app wsgi ...` command groups (each area adds its own)."""

from portal.accounts.cli import accounts_cli
from portal.attendance.cli import attendance_cli
from portal.directory.cli import directory_cli

COMMAND_GROUPS = [accounts_cli, directory_cli, attendance_cli]
