"""The scheduled steps of a return day: at the right local time across clock changes, each
message once, re-timed when the day moves, gone when it is cancelled or its team deleted."""

from datetime import date, timedelta

from sqlalchemy import select

from fieldlab.extensions import db
from fieldlab.returndays import decisions, invitations, jobs, rsvp
from fieldlab.returndays.models import JobKind, Response, ReturnDay, ReturnDayJob
from fieldlab.timeutil import local
from tests.returndays.helpers import arrange_team, at, details, keys, outbox


def _steps(return_day):
    return {job.kind: local(job.run_at) for job in return_day.jobs}


def test_march_clock_change_keeps_every_step_at_local_time(app):
    """Day 50 on Monday 31 March 2025, the day after summer time starts."""
    setting = arrange_team(date(2025, 2, 10))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 1, 6), 9))
    assert local(return_day.starts_at).hour == 10 and return_day.starts_at.hour == 8  # CEST, UTC+2
    steps = _steps(return_day)
    assert {kind: (moment.date(), moment.strftime("%H:%M")) for kind, moment in steps.items()} == {
        "invite": (date(2025, 3, 10), "09:00"), "reminder": (date(2025, 3, 26), "09:00"),
        "nudge": (date(2025, 3, 28), "09:00"), "practical": (date(2025, 3, 30), "09:00"),
        "evaluation": (date(2025, 3, 31), "16:00"),
    }
    utc = {job.kind: job.run_at.hour for job in return_day.jobs}
    assert utc["invite"] == 8 and utc["practical"] == 7  # CET before the change, CEST on the 30th


def test_october_clock_change_keeps_every_step_at_local_time(app):
    """Day 50 on Monday 27 October 2025, the day after winter time starts."""
    setting = arrange_team(date(2025, 9, 8))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 10, 27)), by=setting.facilitator,
                                           now=at(date(2025, 9, 1), 9))
    assert return_day.starts_at.hour == 9  # CET, UTC+1
    steps = _steps(return_day)
    assert all(moment.strftime("%H:%M") == "09:00" for kind, moment in steps.items() if kind != "evaluation")
    utc = {job.kind: job.run_at.hour for job in return_day.jobs}
    assert utc["invite"] == 7 and utc["reminder"] == 7 and utc["practical"] == 8


def test_time_travel_through_a_whole_challenge_sends_the_right_messages_at_the_right_moments(app):
    setting = arrange_team(date(2025, 2, 10), members=2)
    planned_at = at(date(2025, 1, 6), 9)
    days = {number: decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=number,
                                              details=details(day), by=setting.facilitator, now=planned_at)
            for number, day in ((1, date(2025, 2, 10)), (50, date(2025, 3, 31)), (100, date(2025, 5, 20)))}
    db.session.commit()
    ids = {number: day.id for number, day in days.items()}
    people = 5

    def travel(to):
        return jobs.run_due(to)

    assert travel(at(date(2025, 1, 20), 8, 59)) == []
    assert travel(at(date(2025, 1, 20), 9)) == [f"returnday:{ids[1]}:invite"]
    assert len(keys()) == people

    # Two answer: the manager says yes, a member says no; the rest are reminded 5 days before.
    day1 = db.session.get(ReturnDay, ids[1])
    answers = {setting.manager.id: Response.YES, setting.members[0].id: Response.NO}
    for invitation in day1.invitations:
        if invitation.user_id in answers:
            rsvp.record_response(invitation, response=answers[invitation.user_id], remark="",
                                 now=at(date(2025, 1, 21), 10))
    db.session.commit()
    assert travel(at(date(2025, 2, 5), 9)) == [f"returnday:{ids[1]}:reminder"]
    reminders = [k for k in keys() if k.startswith("reminder:")]
    assert len(reminders) == people - 2
    assert travel(at(date(2025, 2, 9), 9)) == [f"returnday:{ids[1]}:practical"]
    assert [k for k in keys() if k.startswith("practical:")] == [
        f"practical:returnday{ids[1]}:user{setting.manager.id}:seq0"]
    assert travel(at(date(2025, 2, 10), 16)) == [f"returnday:{ids[1]}:evaluation"]
    # Team members who did not decline are asked for an evaluation, once each.
    assert len([k for k in keys() if k.startswith("evaluation:")]) == len(setting.members) - 1
    count_after_day1 = len(keys())

    # Running again at the same moment (a restart, a second scheduler) sends nothing new.
    assert travel(at(date(2025, 2, 10), 16)) == []
    day1 = db.session.get(ReturnDay, ids[1])
    assert [jobs.run_step(step.id, now=at(date(2025, 2, 10), 17)) for step in day1.jobs] == [None] * 4
    invitations.send_invitations(day1, now=at(date(2025, 2, 10), 17))
    invitations.send_reminders(day1, now=at(date(2025, 2, 10), 17))
    db.session.commit()
    assert len(keys()) == count_after_day1

    # Through to the end, stopping at every step's moment: day 50 and day 100 get invitation,
    # reminder, nudge, practical, evaluation.
    moments = sorted({step.run_at for step in db.session.scalars(select(ReturnDayJob)) if step.pending})
    ran = [job_id for moment in moments for job_id in travel(moment)]
    assert ran == [f"returnday:{ids[50]}:{kind}" for kind in ("invite", "reminder", "nudge", "practical", "evaluation")] + \
        [f"returnday:{ids[100]}:{kind}" for kind in ("invite", "reminder", "nudge", "practical", "evaluation")]
    nudges = [k for k in keys() if k.startswith("nudge:")]
    assert len(nudges) == 2 * len(setting.members)
    # The evaluation step ran once per day; each member who did not decline was asked once per day.
    evaluation_jobs = db.session.scalars(select(ReturnDayJob).where(ReturnDayJob.kind == JobKind.EVALUATION)).all()
    assert [job.run_count for job in evaluation_jobs] == [1, 1, 1]
    evaluation_keys = [k for k in keys() if k.startswith("evaluation:")]
    assert len(evaluation_keys) == (len(setting.members) - 1) + 2 * len(setting.members)
    assert len(keys()) == len(set(keys()))


def test_moving_day_50_retimes_its_steps_and_sends_an_updated_invitation(app):
    setting = arrange_team(date(2025, 2, 10))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 1, 6), 9))
    db.session.commit()
    jobs.run_due(at(date(2025, 3, 10), 9))
    assert len(keys()) == 5
    old_reminder = next(job.run_at for job in return_day.jobs if job.kind == "reminder")

    decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50, details=details(date(2025, 4, 7)),
                              by=setting.facilitator, now=at(date(2025, 3, 12), 9))
    db.session.commit()
    assert return_day.sequence == 1
    new_reminder = next(job.run_at for job in return_day.jobs if job.kind == "reminder")
    # A week later on the wall clock (the clocks changed in between: 6 days 23 hours in UTC).
    assert local(new_reminder).replace(tzinfo=None) - local(old_reminder).replace(tzinfo=None) == timedelta(days=7)
    updates = [m for m in outbox() if m.idempotency_key.endswith(":seq1")]
    assert len(updates) == 5
    assert all(m.subject.startswith("Gewijzigde uitnodiging") for m in updates)
    # The old reminder moment passes without a reminder; the new one brings it.
    count = len(keys())
    jobs.run_due(at(date(2025, 3, 26), 9))  # the invitation step at its new moment: everyone has it
    assert len(keys()) == count
    assert jobs.run_due(at(date(2025, 4, 2), 9)) == [f"returnday:{return_day.id}:reminder"]


def test_a_job_firing_before_its_moment_does_nothing(app):
    setting = arrange_team(date(2025, 2, 10))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 1, 6), 9))
    reminder = next(step for step in return_day.jobs if step.kind == JobKind.REMINDER)
    assert jobs.run_step(reminder.id, now=at(date(2025, 3, 25), 9)) is None
    assert keys() == []
    assert all(job.pending for job in return_day.jobs)


def test_cancelling_sends_cancel_to_the_invited_and_drops_the_steps(app):
    setting = arrange_team(date(2025, 2, 10))
    return_day = decisions.save_return_day(lab=setting.lab, team=setting.team, day_number=50,
                                           details=details(date(2025, 3, 31)), by=setting.facilitator,
                                           now=at(date(2025, 3, 20), 9))
    decisions.cancel_return_day(return_day, by=setting.facilitator, now=at(date(2025, 3, 21), 9))
    cancels = [m for m in outbox() if m.idempotency_key.startswith("cancel:")]
    assert len(cancels) == 5 and all("METHOD:CANCEL" in m.attachments[0]["content"] for m in cancels)
    assert return_day.jobs == []
    assert jobs.run_due(at(date(2025, 4, 1), 0)) == []
