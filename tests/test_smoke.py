from fieldlab.auth.models import Role


def test_login_page_is_dutch(client):
    response = client.get("/inloggen")
    assert response.status_code == 200
    assert "Inloggen" in response.get_data(as_text=True)


def test_facilitator_home(login_as, client):
    login_as(Role.FACILITATOR, name="Fenna")
    page = client.get("/").get_data(as_text=True)
    assert "Welkom, Fenna" in page
    assert "Field Lab Hub" in page
