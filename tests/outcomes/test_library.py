"""The intervention library: who reads it, what an entry shows (never facts or concerns), filters,
and the three most similar interventions for a new vraagstuk or speedlab."""

from fieldlab.auth.models import Role
from fieldlab.demo import seed_demo
from fieldlab.extensions import db
from fieldlab.outcomes import library, services, similarity
from fieldlab.problems.models import Confidentiality
from tests import factories
from tests.outcomes.conftest import COMPLETE, build


def submit(world, **changes):
    result = services.start_result(world.team, by=world.leader, now=world.now)
    data = services.ResultInput(**{**COMPLETE, "reveals_weakness": False, "weakness_summary": "", **changes},
                                indicators=[services.IndicatorInput(world.indicator.id, 24)])
    services.save_result(world.team, data, expected_version=result.version, by=world.leader, now=world.now)
    services.submit_result(world.team, by=world.leader, now=world.now)
    db.session.commit()
    return result


def test_entry_shows_intervention_and_result_but_never_facts_or_concerns(client, auth, app):
    world = build()
    problem = world.team.problem
    problem.facts = "GEHEIM FEIT over een adres"
    problem.concerns = "GEHEIME ZORG over een persoon"
    problem.confidentiality = Confidentiality.CONFIDENTIAL
    result = submit(world)
    commissioner = factories.make_user(Role.COMMISSIONER)
    db.session.commit()
    auth.login(commissioner)
    index = client.get("/interventies").get_data(as_text=True)
    assert "Uitbuiting in de bouw" in index
    entry = client.get(f"/interventies/{result.id}").get_data(as_text=True)
    assert "Gezamenlijke controles van onderaannemers" in entry and "Begin met de tolk." in entry
    assert "GEHEIM" not in index + entry


def test_drafts_are_not_in_the_library(client, auth, app):
    world = build()
    services.start_result(world.team, by=world.leader, now=world.now)
    db.session.commit()
    commissioner = factories.make_user(Role.COMMISSIONER)
    db.session.commit()
    auth.login(commissioner)
    assert "0 interventies gevonden" in client.get("/interventies").get_data(as_text=True)


def test_filters_by_theme_goal_and_text_are_kept_in_the_page_links(client, auth, app, today):
    submit(build(title="Uitbuiting in de bouw"))
    submit(build(title="Witwassen via vastgoed", theme="vastgoed"), goal_reached="yes")
    commissioner = factories.make_user(Role.COMMISSIONER)
    db.session.commit()
    auth.login(commissioner)
    page = client.get("/interventies?theme=vastgoed").get_data(as_text=True)
    assert ">Witwassen via vastgoed</a>" in page and ">Uitbuiting in de bouw</a>" not in page
    page = client.get("/interventies?goal=partly").get_data(as_text=True)
    assert ">Uitbuiting in de bouw</a>" in page and ">Witwassen via vastgoed</a>" not in page
    page = client.get("/interventies?q=vastgoed").get_data(as_text=True)
    assert "1 interventie gevonden" in page
    page = client.get(f"/interventies?year={today.year}").get_data(as_text=True)
    assert "2 interventies gevonden" in page


def test_participants_who_are_not_alumni_and_managers_may_not_open_the_library(client, auth, app):
    world = build()
    auth.login(world.member)  # in a Lab whose programme has not ended
    assert client.get("/interventies").status_code == 403
    auth.logout()
    auth.login(world.manager)
    assert client.get("/interventies").status_code == 403


def test_similarity_normalises_case_accents_and_plurals():
    assert similarity.words("Onderaannemers, Woningen en Financiële") == ["onderaannemer", "woning", "financiele"]
    documents = {
        "bouw": similarity.bag(title="Uitbuiting van arbeidsmigranten in de bouw", theme="mensenhandel",
                               tags=["arbeidsuitbuiting"]),
        "vastgoed": similarity.bag(title="Witwassen via vastgoed", theme="vastgoed", tags=["witwassen"]),
    }
    ranked = similarity.rank(similarity.bag(title="Arbeidsmigrant in de bouw uitgebuit", theme="Mensenhandel"),
                             documents)
    assert [match.key for match in ranked] == ["bouw"]
    assert similarity.rank(similarity.bag(title="Fietsendiefstal"), documents) == []


def test_on_the_demo_data_a_new_vraagstuk_gets_the_intervention_on_its_phenomenon_first(app, today):
    seed_demo(today=today)
    db.session.commit()
    suggestions = library.similar(title="Witwassen met contante aankopen van panden", theme="vastgoed",
                                  tags=["witwassen"])
    assert suggestions[0].result.team.problem.title == "Witwassen via vastgoed in de binnenstad"
    suggestions = library.similar(title="Arbeidsmigranten uitgebuit door onderaannemers", theme="mensenhandel")
    assert suggestions[0].result.team.problem.title == "Uitbuiting van arbeidsmigranten in de bouw"
    assert len(library.similar(title="vastgoed", theme="vastgoed")) <= 3


def test_the_shared_words_are_shown_as_the_writer_wrote_them_without_filler_words(app, today):
    seed_demo(today=today)
    db.session.commit()
    [first, *_] = library.similar(title="Witwassen via vastgoed en Financiële constructies", theme="witwassen",
                                  tags=["witwassen", "financieel onderzoek"])
    assert "witwassen" in first.shared, first.shared
    assert not {"witwass", "via", "financiele"} & set(first.shared), first.shared
    assert similarity.shown_as("Woningen en woning") == {"woning": "woningen"}


def test_similar_fragment_for_the_vraagstuk_form(client, auth, app):
    submit(build(title="Witwassen via vastgoed", theme="vastgoed"))
    commissioner = factories.make_user(Role.COMMISSIONER)
    db.session.commit()
    auth.login(commissioner)
    fragment = client.get("/interventies/vergelijkbaar?title=Witwassen+met+panden&theme=vastgoed",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div id="similar-interventions"') or 'id="similar-interventions"' in fragment
    assert "Witwassen via vastgoed" in fragment and "<html" not in fragment
    page = client.get("/interventies/vergelijkbaar?title=Witwassen&theme=vastgoed").get_data(as_text=True)
    assert "<html" in page and "Witwassen via vastgoed" in page
