"""Helpers shared by the directory and contacts tests."""

import hashlib
import shutil
import socket
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.directory.importer import run_import
from portal.directory.synthetic import write_district
from portal.extensions import db

SMALL_DISTRICT = 120
_TEMPLATE: dict[int, Path] = {}
# The record of attempts is expected to grow; everything else must not move.
NOT_DATA = {"import_run"}


def district_files(tmp_path: Path, students: int = SMALL_DISTRICT) -> Path:
    """A fresh copy of a small synthetic district's CSV files."""
    if students not in _TEMPLATE:
        template = tmp_path.parent / f"district-template-{students}"
        if not template.exists():
            write_district(template, students=students, seed=7, staff=40)
        _TEMPLATE[students] = template
    target = tmp_path / "district"
    shutil.copytree(_TEMPLATE[students], target)
    return target


def import_dir(directory: Path, **options):
    return run_import(directory, actor="test", **options)


def checksums() -> dict[str, str]:
    """A digest of every row of every data table."""
    sums = {}
    for table in db.metadata.sorted_tables:
        if table.name in NOT_DATA:
            continue
        order = list(table.primary_key.columns) or list(table.columns)
        rows = db.session.execute(select(table).order_by(*order)).all()
        sums[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return sums


def rewrite(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


class Inbox:
    """Every message the test SMTP server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp() -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, inbox
