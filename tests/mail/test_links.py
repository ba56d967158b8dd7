"""Links in mail follow the address `fieldlab serve` listens on when BASE_URL is not set."""

import waitress

from fieldlab import cli
from fieldlab.mail.services import external_url


def _serve(app, runner, monkeypatch, *args, seen=None):
    seen = {} if seen is None else seen

    def fake_serve(wsgi_app, **kwargs):
        with wsgi_app.app_context():
            seen["link"] = external_url("auth.login")

    def fake_prepare(demo):
        # Loading the demo data queues mail (invitations, evaluation requests) with links in it.
        seen["link while preparing"] = external_url("auth.login")
        return []

    monkeypatch.setattr(cli, "prepare_database", fake_prepare)
    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = runner.invoke(args=["serve", "--no-scheduler", "--no-demo", *args])
    assert result.exit_code == 0, result.output
    return seen["link"]


def test_without_base_url_mail_links_use_the_port_serve_listens_on(app, runner, monkeypatch):
    app.config["BASE_URL"] = ""
    assert _serve(app, runner, monkeypatch, "--port", "5102").startswith("http://127.0.0.1:5102/")


def test_mail_queued_while_the_demo_data_loads_links_to_the_port_too(app, runner, monkeypatch):
    app.config["BASE_URL"] = ""
    seen = {}
    _serve(app, runner, monkeypatch, "--port", "5103", seen=seen)
    assert seen["link while preparing"].startswith("http://127.0.0.1:5103/")


def test_a_configured_base_url_wins(app, runner, monkeypatch):
    app.config["BASE_URL"] = "https://fieldlab.example.nl"
    assert _serve(app, runner, monkeypatch, "--port", "5102").startswith("https://fieldlab.example.nl/")


def test_a_wildcard_address_is_replaced_by_the_host_name():
    assert cli.listening_url("0.0.0.0", 8000).endswith(":8000")
    assert "0.0.0.0" not in cli.listening_url("0.0.0.0", 8000)
    assert cli.listening_url("::1", 8000) == "http://[::1]:8000"
