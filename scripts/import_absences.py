"""IT's daily absences import: `python scripts/import_absences.py FILE`.

All or nothing: any problem rejects the whole file and is printed as
`file:line: column: reason`. Exit 0 when imported, 1 when rejected.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dotenv import load_dotenv

from portal import create_app
from portal.attendance.cli import import_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import the day's absences.")
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"{args.file} is not a file")

    load_dotenv()
    app = create_app()
    with app.app_context():
        return import_command(args.file)


if __name__ == "__main__":
    sys.exit(main())
