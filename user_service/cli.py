"""`ocr-mesh users migrate|rotate-key`: user-service operations without a running server."""

from __future__ import annotations

import argparse
from typing import Any

from user_service.admin import rotate_signing_key, upgrade_database


def cmd_users(args: argparse.Namespace) -> int:
    if args.action == "migrate":
        print(f"database schema at revision {upgrade_database()}")
    else:
        print(f"new signing key {rotate_signing_key()}; the previous one stays valid until its tokens expire")
    return 0


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="user-service operations: migrate the database, rotate the key")
    users.add_argument("action", choices=["migrate", "rotate-key"])
    users.set_defaults(func=cmd_users)
