"""IT's daily directory import: `python scripts/import_directory.py DIR`.

Options: --dry-run (check and count, keep nothing), --force (allow
deactivating more than 5% of a kind). Exit 0 when imported, 1 when
rejected. Settings come from the environment and `.env`, as for the portal.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dotenv import load_dotenv

from portal import create_app
from portal.directory.cli import run_command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import the SIS/HR directory.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a folder")

    load_dotenv()
    app = create_app()
    with app.app_context():
        return run_command(args.directory, args.dry_run, args.force)


if __name__ == "__main__":
    sys.exit(main())
