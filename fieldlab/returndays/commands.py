"""`fieldlab planning --tot DATUM`: the operator's preview of the scheduled steps, without sending."""

from datetime import datetime, time, timedelta

import click
from flask.cli import with_appcontext

from fieldlab.returndays import steps
from fieldlab.timeutil import LOCAL_ZONE, as_utc, local, utcnow


def _describe(planned: steps.PlannedStep) -> str:
    return_day = planned.return_day
    where = return_day.lab.name + (f" · {return_day.team.name}" if return_day.team else "")
    head = (f"{local(planned.moment):%Y-%m-%d %H:%M}  {where} · dag {return_day.day_number} "
            f"({local(return_day.starts_at):%Y-%m-%d})  {planned.step.kind_label}")
    if planned.skip_reason:
        return f"{head}: overgeslagen (te laat): {planned.skip_label}"
    people = "persoon" if planned.recipients == 1 else "personen"
    return f"{head}: {planned.recipients} {people}"


@click.command("planning")
@click.option("--tot", "until", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Laatste dag (JJJJ-MM-DD, tot en met) van het overzicht.")
@with_appcontext
def planning_command(until):
    """List every scheduled step up to a date and what it would send to how many people, without
    sending anything (the scheduler runs steps that are due already at once)."""
    now = utcnow()
    end = as_utc(datetime.combine(until.date() + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE))
    planned = steps.preview(until=end, now=now)
    if not planned:
        click.echo(f"Geen geplande stappen tot en met {until:%Y-%m-%d}.")
        return
    for item in planned:
        click.echo(_describe(item))
    sent = [item for item in planned if not item.skip_reason]
    click.echo(f"\n{len(planned)} stappen: {len(sent)} versturen samen {sum(i.recipients for i in sent)} "
               f"berichten, {len(planned) - len(sent)} worden overgeslagen.")
