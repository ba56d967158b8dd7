"""Rounds decide what can happen: ideas only in the open ideas round, dots only in the open voting
round; dots are capped at N per participant by the database itself, also under concurrency."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from fieldlab.extensions import db
from fieldlab.speedlabs import rounds, services
from fieldlab.speedlabs.models import Phase, SpeedlabSession, Vote
from tests.speedlabs.helpers import NOW, add_participant, make_speedlab, run_to


def test_rounds_follow_each_other_and_end_with_results(app):
    speedlab = make_speedlab()
    phases = []
    for _round in range(4):
        phases.append(rounds.start_next_round(speedlab, minutes=10, by=speedlab.facilitator, now=NOW))
    assert phases == [Phase.IDEAS, Phase.CLUSTERING, Phase.VOTING, Phase.RESULTS]
    with pytest.raises(services.SpeedlabError):
        rounds.start_next_round(speedlab, minutes=10, by=speedlab.facilitator, now=NOW)


def test_nobody_adds_ideas_after_the_ideas_round(app):
    speedlab = make_speedlab()
    alice = add_participant(speedlab)
    with pytest.raises(rounds.RoundClosed):
        rounds.add_idea(speedlab, author=alice, title="Te vroeg", explanation="", now=NOW)
    run_to(speedlab, Phase.IDEAS)
    rounds.add_idea(speedlab, author=alice, title="Meldpunt", explanation="Eén loket", now=NOW)
    rounds.stop_round(speedlab, by=speedlab.facilitator, now=NOW + timedelta(minutes=1))
    with pytest.raises(rounds.RoundClosed):
        rounds.add_idea(speedlab, author=alice, title="Te laat", explanation="", now=NOW + timedelta(minutes=2))
    assert [idea.title for idea in speedlab.ideas] == ["Meldpunt"]


def test_the_countdown_closes_the_round_too(app):
    speedlab = make_speedlab()
    alice = add_participant(speedlab)
    run_to(speedlab, Phase.IDEAS)  # 30 minutes
    with pytest.raises(rounds.RoundClosed):
        rounds.add_idea(speedlab, author=alice, title="Na de tijd", explanation="", now=NOW + timedelta(minutes=31))


def test_votes_only_in_the_open_voting_round_and_secret_until_it_closes(app):
    speedlab = make_speedlab(dots=3)
    alice, bob = add_participant(speedlab), add_participant(speedlab)
    run_to(speedlab, Phase.IDEAS)
    idea = rounds.add_idea(speedlab, author=alice, title="Meldpunt", explanation="", now=NOW)
    with pytest.raises(rounds.RoundClosed):
        rounds.set_dots(speedlab, alice, {idea.id: 1}, now=NOW)
    run_to(speedlab, Phase.VOTING)
    rounds.set_dots(speedlab, alice, {idea.id: 2}, now=NOW)
    rounds.set_dots(speedlab, alice, {idea.id: 3}, now=NOW)  # changed her mind: still one set of dots
    rounds.set_dots(speedlab, bob, {idea.id: 1}, now=NOW)
    assert not speedlab.votes_visible(NOW)
    assert rounds.own_dots(speedlab, alice) == {idea.id: 3}
    with pytest.raises(rounds.TooManyDots):
        rounds.set_dots(speedlab, bob, {idea.id: 4}, now=NOW)
    rounds.stop_round(speedlab, by=speedlab.facilitator, now=NOW)
    assert speedlab.votes_visible(NOW)
    with pytest.raises(rounds.RoundClosed):
        rounds.set_dots(speedlab, bob, {idea.id: 2}, now=NOW)
    assert rounds.tally(speedlab) == {idea.id: 4}


def test_ranking_shares_places_on_equal_dots(app):
    speedlab = make_speedlab(dots=3)
    alice, bob = add_participant(speedlab), add_participant(speedlab)
    run_to(speedlab, Phase.IDEAS)
    a, b, c = (rounds.add_idea(speedlab, author=alice, title=t, explanation="", now=NOW) for t in "ABC")
    run_to(speedlab, Phase.VOTING)
    rounds.set_dots(speedlab, alice, {b.id: 2, c.id: 1}, now=NOW)
    rounds.set_dots(speedlab, bob, {c.id: 1, a.id: 2}, now=NOW)
    assert [(r.rank, r.dots) for r in rounds.ranking(speedlab)] == [(1, 2), (1, 2), (1, 2)]
    rounds.set_dots(speedlab, bob, {c.id: 3}, now=NOW)
    assert [(r.rank, r.idea.title, r.dots) for r in rounds.ranking(speedlab)] == [
        (1, "C", 4), (2, "B", 2), (3, "A", 0)]


def _vote_row(speedlab, voter, idea, slot, dots=None):
    return dict(session_id=speedlab.id, dots_per_participant=dots or speedlab.dots_per_participant,
                voter_id=voter.id, idea_id=idea.id, slot=slot, cast_at=NOW)


@pytest.mark.parametrize("case", ["slot above N", "same slot twice", "N not the session's", "idea of another session"])
def test_the_database_refuses_dots_beyond_the_rules(app, case):
    speedlab = make_speedlab(dots=2)
    other = make_speedlab(dots=2)
    alice = add_participant(speedlab)
    run_to(speedlab, Phase.IDEAS)
    run_to(other, Phase.IDEAS)
    idea = rounds.add_idea(speedlab, author=alice, title="A", explanation="", now=NOW)
    foreign = rounds.add_idea(other, author=None, title="B", explanation="", now=NOW)
    db.session.commit()
    rows = {
        "slot above N": [_vote_row(speedlab, alice, idea, 3)],
        "same slot twice": [_vote_row(speedlab, alice, idea, 1), _vote_row(speedlab, alice, idea, 1)],
        "N not the session's": [_vote_row(speedlab, alice, idea, 3, dots=5)],
        "idea of another session": [_vote_row(speedlab, alice, foreign, 1)],
    }[case]
    with pytest.raises(IntegrityError):
        for row in rows:
            db.session.execute(insert(Vote).values(**row))
        db.session.flush()
    db.session.rollback()


def test_many_participants_voting_at_once_give_exact_tallies(app):
    """Each thread is one participant's browser: its own app context, session and connection."""
    speedlab = make_speedlab(dots=3, seats=30)
    voters = [add_participant(speedlab) for _ in range(12)]
    run_to(speedlab, Phase.IDEAS)
    ideas = [rounds.add_idea(speedlab, author=voters[0], title=f"Idee {n}", explanation="", now=NOW)
             for n in range(4)]
    run_to(speedlab, Phase.VOTING)
    db.session.commit()
    session_id, idea_ids, voter_ids = speedlab.id, [i.id for i in ideas], [v.id for v in voters]
    # Every participant submits twice at once (a double click) and once with too many dots.
    plans = {voter_id: {idea_ids[n % 4]: 2, idea_ids[(n + 1) % 4]: 1} for n, voter_id in enumerate(voter_ids)}
    outcomes, barrier = [], threading.Barrier(len(voter_ids) * 3)

    def vote(voter_id, allocation):
        with app.app_context():
            from fieldlab.speedlabs.models import SpeedlabInvitation

            barrier.wait()
            try:
                target = db.session.get(SpeedlabSession, session_id)
                voter = db.session.get(SpeedlabInvitation, voter_id)
                rounds.set_dots(target, voter, allocation, now=NOW)
                db.session.commit()
                outcomes.append("ok")
            except (services.SpeedlabError, IntegrityError) as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = []
    for voter_id in voter_ids:
        for allocation in (plans[voter_id], plans[voter_id], {idea_ids[0]: 4}):
            threads.append(threading.Thread(target=vote, args=(voter_id, allocation)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    db.session.expire_all()
    assert outcomes.count("TooManyDots") == len(voter_ids)
    per_voter = dict(db.session.execute(
        select(Vote.voter_id, func.count()).where(Vote.session_id == session_id).group_by(Vote.voter_id)).all())
    assert per_voter == {voter_id: 3 for voter_id in voter_ids}
    expected = {idea_id: 0 for idea_id in idea_ids}
    for allocation in plans.values():
        for idea_id, count in allocation.items():
            expected[idea_id] += count
    assert rounds.tally(db.session.get(SpeedlabSession, session_id)) == expected
    assert sum(expected.values()) == 3 * len(voter_ids)
