"""Command-line interface: flask worker, cron, retry-failed-jobs, seed-reference, seed-demo,
vapid-keys, analytics (rebuild, roll-up)."""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker (with its scheduler) for this app's queues."""
    from .jobs import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@click.command("cron")
def cron_command() -> None:
    """Enqueue the periodic jobs on their schedule (run one of these beside the workers)."""
    from .jobs.schedule import run_cron

    run_cron(current_app._get_current_object())


@click.command("retry-failed-jobs")
@with_appcontext
def retry_failed_jobs_command() -> None:
    """Run again the jobs that gave up (once their cause, e.g. SMTP, is fixed)."""
    from .jobs.outbox import retry_failed_jobs

    click.echo(f"jobs given new tries: {retry_failed_jobs()}")


@click.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a new VAPID key pair for web push, as the environment takes it."""
    from .notifications.push import new_vapid_keys

    private, public = new_vapid_keys()
    click.echo(f"VAPID_PRIVATE_KEY={private}")
    click.echo(f"VAPID_PUBLIC_KEY={public}")


@click.command("seed-reference")
@with_appcontext
def seed_reference_command() -> None:
    """Load Senegal's regions, departments and communes (idempotent)."""
    from .geo.operations import seed_reference

    counts = seed_reference()
    click.echo(f"reference data: {counts}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add demo organizations, branches, services, counters and logins, and five weeks
    of their past with its rollups, so the analytics show something (idempotent)."""
    from .demo import ALWAYS_OPEN, DEMO_LOGINS, seed_demo

    seed_demo(history=True)
    click.echo("Demo logins (password for all: %s):" % DEMO_LOGINS["password"])
    for role, email in DEMO_LOGINS["accounts"]:
        click.echo(f"  {role:<16} {email}")
    base = f"http://127.0.0.1:{current_app.config['PORT']}"
    click.echo(
        f"Demo screens (Banque Teranga, {ALWAYS_OPEN}: open 24 h/24, 7 days a week;"
        " the other demo branches keep office hours):"
    )
    click.echo(f"  display board    {base}/board/demo-board-plateau")
    click.echo(f"  kiosk            {base}/kiosk/demo-kiosk-plateau")
    click.echo(f"  counter screen   {base}/agent/  (as agent@demo.sn)")


@click.group("analytics")
def analytics_group() -> None:
    """The analytics' daily rollups: rebuild a period, or roll up the closed days now."""


@analytics_group.command("rebuild")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Default: --from.")
@click.option("--branch", "branch_ids", type=int, multiple=True, help="Branch id.")
@with_appcontext
def analytics_rebuild_command(start, end, branch_ids) -> None:
    """Write again the rollups of each branch-day from --from to --to (Dakar days),
    after a correction of tickets or a change in how figures are computed."""
    from .analytics import rollups

    first = start.date()
    last = end.date() if end else first
    if last < first:
        raise click.BadParameter("--to is before --from")
    built = rollups.rebuild(first, last, list(branch_ids) or None)
    for day, branch_id, tickets in built:
        click.echo(f"{day.isoformat()}  branch {branch_id}: {tickets} tickets")
    click.echo(f"branch-days rebuilt: {len(built)}")


@analytics_group.command("roll-up")
@with_appcontext
def analytics_roll_up_command() -> None:
    """Roll up now the closed days still due (what the hourly job does)."""
    from . import clock
    from .analytics import rollups

    built = rollups.build_closed_days(clock.today())
    for day, branch_id, tickets in built:
        click.echo(f"{day.isoformat()}  branch {branch_id}: {tickets} tickets")
    click.echo(f"branch-days rolled up: {len(built)}")


def register(app: Flask) -> None:
    for command in (
        worker_command,
        cron_command,
        retry_failed_jobs_command,
        seed_reference_command,
        seed_demo_command,
        vapid_keys_command,
        analytics_group,
    ):
        app.cli.add_command(command)
