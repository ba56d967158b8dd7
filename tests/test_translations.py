"""Dutch is the source language; the English catalogue must translate every string."""

from fieldlab import i18n


def test_every_string_has_an_english_translation():
    missing = i18n.untranslated("en")
    assert not missing, (
        f"{len(missing)} strings have no English translation; run `fieldlab translations update`, "
        f"fill in fieldlab/translations/en/LC_MESSAGES/messages.po and `fieldlab translations compile`. "
        f"First ones: {missing[:10]}"
    )


def test_compiled_catalogue_matches_the_po_file():
    assert i18n.compiled_is_current("en"), "run `fieldlab translations compile`"


def test_english_ui_is_english(client, login_as):
    from fieldlab.auth.models import Role

    login_as(Role.FACILITATOR, locale="en")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Welcome" in page
    assert "Welkom" not in page
