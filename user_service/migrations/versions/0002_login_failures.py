"""Brute-force defence: failed-login counters per user and per client address.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("window_start", sa.Double(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_index("ix_login_failures_window_start", "login_failures", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_window_start", table_name="login_failures")
    op.drop_table("login_failures")
