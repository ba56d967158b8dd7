"""A signal world for the tests: a Lab with a facilitator, a team with two members, and a
complete draft that meets the three criteria."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.signals import services
from tests import factories

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)

COMPLETE = dict(
    bottleneck="Criminelen misbruiken de RVO-subsidieregeling voor verduurzaming zonder controle vooraf",
    facts="In twaalf dossiers kreeg hetzelfde netwerk subsidie via katvangers.",
    legal_process="Subsidieregeling verduurzaming (RVO): uitbetaling voordat de aanvrager is gecontroleerd.",
    legal_process_kind="subsidy",
    ministries=["Minister van Justitie en Veiligheid", "Minister van Economische Zaken"],
    measures="Controle van de aanvrager vóór uitbetaling; gegevensdeling RVO en RIEC.",
    submitter_contacts="indiener@riec.example\ntweede@gemeente.example",
    misuse_explanation="Het netwerk gebruikt de regeling bewust om crimineel geld wit te wassen via subsidies.",
    structural_explanation="Het komt in meerdere regio's voor en de regeling staat het toe; geen los incident.",
    misuse_evidence="proven",
    national_explanation="De regeling is landelijk; alleen de minister kan de voorwaarden veranderen.",
    minister_can_change=True,
    representative_name="Rita Vertegenwoordiger",
    representative_email="rita@riec.example",
)


def world(*, representative_account: bool = False) -> SimpleNamespace:
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    other_facilitator = factories.make_user(Role.FACILITATOR, name="Otto Facilitator")
    riec = factories.make_organisation("RIEC Den Haag")
    anna = factories.make_user(Role.PARTICIPANT, name="Anna Lid")
    bart = factories.make_user(Role.PARTICIPANT, name="Bart Lid")
    stranger = factories.make_user(Role.PARTICIPANT, name="Sanne Buiten")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever", organisation=riec)
    representative = (factories.make_user(Role.COMMISSIONER, name="Rita Vertegenwoordiger",
                                          email="rita@riec.example", organisation=riec)
                      if representative_account else None)
    lab = factories.make_lab(name="Lab Mensenhandel", facilitators=[facilitator])
    problem = factories.make_problem(commissioner, lab=lab, title="Misbruik van subsidies",
                                     description="Subsidies komen bij criminelen terecht.", facts="Twaalf dossiers.")
    team = factories.make_team(lab, members=[anna, bart], name="Lovitura", problem=problem, starts_on=date(2026, 9, 1))
    other_team = factories.make_team(lab, members=[stranger], name="Anders")
    db.session.commit()
    return SimpleNamespace(facilitator=facilitator, other_facilitator=other_facilitator, riec=riec, anna=anna,
                           bart=bart, stranger=stranger, commissioner=commissioner, representative=representative,
                           lab=lab, team=team, other_team=other_team, problem=problem)


def complete_draft(w, *, now=NOW, **changes):
    fields = dict(COMPLETE, submitter_ids=[w.riec.id])
    fields.update(changes)
    return services.create_signal(lab=w.lab, team=w.team, by=w.anna, now=now, **fields)


def to_consultation(w, signal, *, now=NOW):
    services.ask_loket_advice(signal, by=w.anna, now=now)
    services.record_loket_advice(signal, advice="Een signaal past.", fits=True, by=w.facilitator, now=now)


def to_submitted(w, signal, *, now=NOW):
    to_consultation(w, signal, now=now)
    services.record_consultation(signal, on=now.date(), outcome="confirmed", notes="", by=w.facilitator, now=now)
    services.confirm_submission(signal, by=None, now=now)
