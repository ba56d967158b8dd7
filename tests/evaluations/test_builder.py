"""The form builder: the default form is copied per Lab, questions are added, changed, moved and
removed, and an answered question is never changed in place (a new version takes its place)."""

from sqlalchemy import select

from fieldlab.evaluations import answering, sending, services
from fieldlab.evaluations.models import EvaluationAnswer, EvaluationQuestion
from fieldlab.extensions import db
from tests.evaluations.conftest import answers_for


def texts(form):
    db.session.expire(form, ["questions"])
    return [q.text for q in sorted(form.active_questions, key=lambda q: q.position)]


def answer_once(programme, person_index=0, **answers):
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=programme.now)
    request = sending.request_for_user(programme.form, programme.participants[person_index])
    return answering.submit_response(request, answers_for(programme.form, **answers), now=programme.now)


def test_default_form_has_overall_grade_four_aspects_and_two_open_questions(programme):
    questions = programme.form.active_questions
    assert [q.key for q in questions] == ["overall", "content", "guidance", "teamwork", "usefulness", "takeaway",
                                         "tips"]
    assert [q.is_overall for q in questions].count(True) == 1
    assert [q.kind for q in questions] == ["grade"] * 5 + ["text"] * 2
    assert "begeleiding door de facilitatoren" in questions[2].text
    assert programme.form.anonymous and programme.form.deadline_days == 14


def test_copying_a_form_takes_its_current_questions_not_its_answers(programme, make, now):
    services.add_question(programme.form, kind="choice", text="Zou u het Field Lab aanraden?",
                          choices=["Ja", "Misschien", "Nee"])
    answer_once(programme)
    other_lab = make.make_lab(name="Field Lab Preventie met Gezag")
    copy = services.create_form(lab=other_lab, source=programme.form, anonymous=False, now=now)
    assert texts(copy) == texts(programme.form)
    assert copy.questions[-1].choices == ["Ja", "Misschien", "Nee"]
    assert not copy.anonymous and copy.responses == [] and all(q.version == 1 for q in copy.questions)


def test_editing_an_unanswered_question_changes_it_in_place(programme):
    question = programme.form.active_questions[1]
    changed = services.edit_question(question, kind="grade", text="Welk cijfer geeft u de inhoud van de dagen?")
    assert changed is question and question.version == 1 and programme.form.version == 1


def test_editing_an_answered_question_makes_a_new_version_and_keeps_the_old(programme, now):
    answer_once(programme, aspects="6")
    content = next(q for q in programme.form.active_questions if q.key == "content")
    old_text = content.text
    new = services.edit_question(content, kind="grade", text="Welk cijfer geeft u het programma inhoudelijk?")
    db.session.flush()
    assert new is not content
    assert content.retired and content.text == old_text and content.version == 1
    assert new.key == "content" and new.version == 2 and new.position == content.position
    assert programme.form.version == 2
    assert db.session.scalar(select(EvaluationAnswer.grade).where(EvaluationAnswer.question_id == content.id)) == 6
    assert "Welk cijfer geeft u het programma inhoudelijk?" in texts(programme.form)
    assert old_text not in texts(programme.form)
    # The next person answers the new version; both versions appear in the results.
    request = sending.request_for_user(programme.form, programme.participants[1])
    response = answering.submit_response(request, answers_for(programme.form, aspects="9"), now=now)
    assert response.form_version == 2
    assert {a.question_id for a in response.answers} >= {new.id}


def test_removing_an_answered_question_retires_it(programme):
    answer_once(programme)
    tips = next(q for q in programme.form.active_questions if q.key == "takeaway")
    services.remove_question(tips)
    assert db.session.get(EvaluationQuestion, tips.id).retired
    unanswered = services.add_question(programme.form, kind="text", text="Nog iets?", required=False)
    services.remove_question(unanswered)
    assert db.session.get(EvaluationQuestion, unanswered.id) is None


def test_moving_questions_up_and_down(programme):
    first, second = programme.form.active_questions[:2]
    services.move_question(second, "up")
    assert texts(programme.form)[:2] == [second.text, first.text]
    services.move_question(second, "up")  # already first: nothing changes
    assert texts(programme.form)[0] == second.text
    last = sorted(programme.form.active_questions, key=lambda q: q.position)[-1]
    services.move_question(last, "down")
    assert texts(programme.form)[-1] == last.text


def test_only_one_overall_grade(programme):
    aspect = programme.form.active_questions[1]
    services.edit_question(aspect, kind="grade", text=aspect.text, is_overall=True)
    assert [q.key for q in programme.form.active_questions if q.is_overall] == ["content"]


def test_anonymity_is_fixed_once_the_form_was_sent(programme, now):
    services.update_form_settings(programme.form, title="Evaluatie", intro="", anonymous=False, deadline_days=10)
    sending.create_requests(programme.form, sending.recipient_ids(programme.form), now=now)
    try:
        services.update_form_settings(programme.form, title="Evaluatie", intro="", anonymous=True, deadline_days=10)
    except services.EvaluationError as error:
        assert "kan niet meer veranderen" in str(error)
    else:
        raise AssertionError("anonymity changed after sending")


def test_builder_pages_add_change_and_move_questions(client, auth, programme):
    auth.login(programme.facilitator)
    form_id = programme.form.id
    page = client.get(f"/evaluaties/{form_id}")
    assert page.status_code == 200 and "Vraag toevoegen" in page.get_data(as_text=True)

    refused = client.post(f"/evaluaties/{form_id}/vragen", data={"kind": "choice", "text": "Aanraden?",
                                                                 "choices": "Ja"})
    assert refused.status_code == 422
    assert "Geef minstens twee mogelijkheden" in refused.get_data(as_text=True)

    added = client.post(f"/evaluaties/{form_id}/vragen", data={"kind": "choice", "text": "Aanraden?",
                                                               "choices": "Ja\nNee", "required": "y"})
    assert added.status_code == 303
    question = programme.form.active_questions[-1]
    assert question.text == "Aanraden?" and question.choices == ["Ja", "Nee"]

    edit_page = client.get(f"/evaluaties/{form_id}/vragen/{question.id}")
    assert "Ja\nNee" in edit_page.get_data(as_text=True)
    changed = client.post(f"/evaluaties/{form_id}/vragen/{question.id}",
                          data={"kind": "choice", "text": "Zou u het aanraden?", "choices": "Ja\nNee\nWeet niet"})
    assert changed.status_code == 303
    assert client.post(f"/evaluaties/{form_id}/vragen/{question.id}/omhoog").status_code == 303
    assert texts(programme.form)[-2] == "Zou u het aanraden?"

    settings = client.post(f"/evaluaties/{form_id}/instellingen",
                           data={"title": "", "anonymity": "named", "deadline_days": "200"})
    assert settings.status_code == 422
    body = settings.get_data(as_text=True)
    assert "Dit veld is verplicht." in body and "Kies een aantal dagen van 1 tot en met 90." in body


def test_new_form_page_copies_the_default_for_a_lab(client, auth, programme):
    auth.login(programme.facilitator)
    page = client.get(f"/evaluaties/nieuw?lab={programme.lab.id}")
    assert page.status_code == 200 and "Het standaardformulier" in page.get_data(as_text=True)
    response = client.post("/evaluaties/nieuw", data={"lab_id": programme.lab.id, "source": "default",
                                                       "anonymity": "named"})
    assert response.status_code == 303
    form = db.session.scalars(select(services.EvaluationForm).order_by(services.EvaluationForm.id.desc())).first()
    assert form.lab_id == programme.lab.id and not form.anonymous and len(form.active_questions) == 7
