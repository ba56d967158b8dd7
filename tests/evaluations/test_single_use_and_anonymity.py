"""A link works once and an answer is stored once; an anonymous answer cannot be traced to a person."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from fieldlab.evaluations import answering, sending, services
from fieldlab.evaluations.models import EvaluationAnswer, EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from tests.evaluations.conftest import answers_for, link_from_outbox, path_of


@pytest.fixture
def sent(programme, now):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=now)
    db.session.commit()
    return programme


def response_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationResponse))


def test_reused_link_says_already_received_and_stores_nothing_twice(client, sent):
    path = path_of(link_from_outbox(sent.participants[0].email))
    assert client.post(path, data=answers_for(sent.form)).status_code == 303
    again = client.post(path, data=answers_for(sent.form, overall="3"))
    assert again.status_code == 409
    assert "Uw antwoorden zijn al ontvangen" in again.get_data(as_text=True)
    reopened = client.get(path)
    assert reopened.status_code == 200 and "Uw antwoorden zijn al ontvangen" in reopened.get_data(as_text=True)
    assert response_count() == 1
    assert db.session.scalar(select(func.max(EvaluationAnswer.grade))) == 8


def test_a_second_submit_racing_the_first_loses_on_the_conditional_update(sent, now):
    request = sending.request_for_user(sent.form, sent.participants[0])
    answering.submit_response(request, answers_for(sent.form), now=now)
    # A second worker loaded the same request before the first one committed: it still sees used=False.
    set_committed_value(request, "used", False)
    with pytest.raises(services.AlreadyAnswered):
        answering.submit_response(request, answers_for(sent.form), now=now)
    assert response_count() == 1


def test_named_response_is_unique_per_person_in_the_database(programme, now):
    form = programme.form
    form.anonymous = False
    person = programme.participants[0]
    db.session.add(EvaluationResponse(form_id=form.id, anonymous=False, user_id=person.id, submitted_at=now))
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(EvaluationResponse(form_id=form.id, anonymous=False, user_id=person.id,
                                              submitted_at=now))
            db.session.flush()


def test_database_refuses_an_anonymous_response_with_a_person_or_a_time(programme):
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(EvaluationResponse(form_id=programme.form.id, anonymous=True,
                                              user_id=programme.participants[0].id))
            db.session.flush()


@pytest.mark.parametrize("grade", [0, 11, 10.5])
def test_database_refuses_grades_outside_1_to_10(programme, grade):
    response = EvaluationResponse(form_id=programme.form.id, anonymous=True)
    db.session.add(response)
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(EvaluationAnswer(response_id=response.id, question_id=programme.form.questions[0].id,
                                            grade=grade))
            db.session.flush()


def test_a_tampered_or_unknown_link_does_not_open_the_form(client, sent):
    path = path_of(link_from_outbox(sent.participants[0].email))
    assert client.get(path[:-3] + "abc").status_code == 404
    assert "Deze link werkt niet" in client.get("/evaluatie/zomaar-iets").get_data(as_text=True)


def test_no_table_row_links_an_anonymous_answer_to_a_person(client, sent):
    person = sent.participants[0]
    assert client.post(path_of(link_from_outbox(person.email)), data=answers_for(sent.form)).status_code == 303
    response = db.session.scalars(select(EvaluationResponse)).one()
    request = db.session.scalars(select(EvaluationRequest).where(EvaluationRequest.user_id == person.id)).one()
    assert request.used

    # 1. The schema: neither the response nor its answers have a column that refers to a person or a request.
    for table_name in ("evaluation_response", "evaluation_answer"):
        table = db.metadata.tables[table_name]
        referred = {fk.column.table.name for column in table.columns for fk in column.foreign_keys}
        assert referred <= {"evaluation_form", "evaluation_response", "evaluation_question"} | (
            {"user"} if table_name == "evaluation_response" else set())
    assert response.user_id is None and response.submitted_at is None

    # 2. The data: walk every row of every table. Rows that hold the response's id hold nothing of the person;
    #    rows that hold the person hold nothing of the response.
    person_texts = {person.email, person.name}
    for table in db.metadata.sorted_tables:
        user_columns = {column.name for column in table.columns
                        if any(fk.column.table.name == "user" for fk in column.foreign_keys)}
        if table.name == "user":
            user_columns.add("id")
        for row in db.session.execute(select(table)).mappings():
            values = {str(value) for value in row.values() if value is not None}
            if response.id in values or any(response.id in value for value in values):
                assert table.name in {"evaluation_response", "evaluation_answer"}, table.name
                assert all(row[column] is None for column in user_columns), table.name
                assert not person_texts & values, table.name
            if any(row[column] == person.id for column in user_columns):
                assert not any(response.id in value for value in values), table.name

    # 3. The response id is random, so its order says nothing about who answered first.
    assert len(response.id) == 32 and not response.id.isdigit()


def test_named_form_keeps_the_person_with_the_answer(client, programme, now):
    programme.form.anonymous = False
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=now)
    db.session.commit()
    person = programme.participants[1]
    page = client.get(path_of(link_from_outbox(person.email))).get_data(as_text=True)
    assert "Deze evaluatie is op naam" in page
    client.post(path_of(link_from_outbox(person.email)), data=answers_for(programme.form))
    response = db.session.scalars(select(EvaluationResponse)).one()
    assert response.user_id == person.id and response.submitted_at is not None
