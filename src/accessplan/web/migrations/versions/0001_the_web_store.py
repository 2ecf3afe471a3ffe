"""The web store: users, tokens, regions, scenarios, inputs, runs, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_jobs")),
    )
    with op.batch_alter_table("web_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_jobs_status"), ["status"], unique=False)

    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_users")),
        sa.UniqueConstraint("username", name=op.f("uq_web_users_username")),
    )
    op.create_table(
        "web_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["web_jobs.id"], name=op.f("fk_web_regions_job_id_web_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_regions")),
    )
    op.create_table(
        "web_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["web_users.id"], name=op.f("fk_web_tokens_user_id_web_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_web_tokens_digest")),
    )
    with op.batch_alter_table("web_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "web_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["web_regions.id"], name=op.f("fk_web_scenarios_region_id_web_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_scenarios")),
    )
    with op.batch_alter_table("web_scenarios", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_scenarios_region_id"), ["region_id"], unique=False)

    op.create_table(
        "web_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=60), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["web_scenarios.id"],
            name=op.f("fk_web_inputs_scenario_id_web_scenarios"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_inputs")),
        sa.UniqueConstraint("scenario_id", "name", name=op.f("uq_web_inputs_scenario_id")),
    )
    with op.batch_alter_table("web_inputs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_inputs_scenario_id"), ["scenario_id"], unique=False
        )

    op.create_table(
        "web_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["web_jobs.id"], name=op.f("fk_web_runs_job_id_web_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["web_scenarios.id"],
            name=op.f("fk_web_runs_scenario_id_web_scenarios"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_runs")),
    )
    with op.batch_alter_table("web_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_runs_scenario_id"), ["scenario_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_runs_scenario_id"))

    op.drop_table("web_runs")
    with op.batch_alter_table("web_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_inputs_scenario_id"))

    op.drop_table("web_inputs")
    with op.batch_alter_table("web_scenarios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_scenarios_region_id"))

    op.drop_table("web_scenarios")
    with op.batch_alter_table("web_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_tokens_user_id"))

    op.drop_table("web_tokens")
    op.drop_table("web_regions")
    op.drop_table("web_users")
    with op.batch_alter_table("web_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_jobs_status"))

    op.drop_table("web_jobs")
