"""Several members change one board at the same moment (threads with their own database sessions,
as web workers have): no change fails, none is lost, and no two cards share a place."""

import threading

from sqlalchemy import select

from fieldlab.boards import card_changes
from fieldlab.boards.models import BoardCard, Challenge, Column
from fieldlab.extensions import db


def run_together(app, work, count):
    errors, barrier = [], threading.Barrier(count)

    def worker(number):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                work(number)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def positions(challenge_id):
    rows = db.session.execute(select(BoardCard.column_key, BoardCard.position)
                              .where(BoardCard.challenge_id == challenge_id)).all()
    by_column = {}
    for column, position in rows:
        by_column.setdefault(column, []).append(position)
    return {column: sorted(places) for column, places in by_column.items()}


def test_concurrent_adds_and_moves_keep_every_card_in_its_own_place(app, world, now):
    challenge_id, member_id = world.challenge.id, world.member.id
    db.session.commit()

    def add(number):
        challenge = db.session.get(Challenge, challenge_id)
        member = db.session.get(type(world.member), member_id)
        card_changes.add_card(challenge, title=f"Kaart {number}", owner_id=member_id, by=member, now=now)

    assert run_together(app, add, 8) == []
    db.session.expire_all()
    assert positions(challenge_id) == {"planned": list(range(8))}

    card_ids = list(db.session.scalars(select(BoardCard.id).where(BoardCard.challenge_id == challenge_id)))

    def move(number):
        card = db.session.get(BoardCard, card_ids[number])
        member = db.session.get(type(world.member), member_id)
        card_changes.move_card(card, column=Column.DOING if number % 2 else Column.DONE, position=0, by=member, now=now)

    assert run_together(app, move, 8) == []
    db.session.expire_all()
    assert positions(challenge_id) == {"doing": [0, 1, 2, 3], "done": [0, 1, 2, 3]}
