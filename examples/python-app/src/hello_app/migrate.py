"""`hello-migrate`: a stand-in for a release command (database migrations).

Appends "<version> <UTC time>" to $MIGRATE_MARKER when set, so tests can see it
ran and in which release; exits 1 when $MIGRATE_FAIL is set, to test a failed
release command.
"""
import os
import sys
from datetime import datetime, timezone

from . import NAME, app_version


def main() -> None:
    version = app_version()
    if os.environ.get("MIGRATE_FAIL"):
        print(f"{NAME} {version}: migration failed (MIGRATE_FAIL is set)", file=sys.stderr)
        sys.exit(1)
    marker = os.environ.get("MIGRATE_MARKER")
    if marker:
        with open(marker, "a", encoding="utf-8") as f:
            f.write(f"{version} {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
    print(f"{NAME} {version}: migrated")


if __name__ == "__main__":
    main()
