"""Wrong passwords are throttled per account and address, per address and (a higher ceiling) per
account, in storage all web workers share."""

import os
import uuid

import pytest
import redis
from sqlalchemy import func, select

from fieldlab.audit.models import AuditEvent
from fieldlab.extensions import db
from tests.conftest import make_test_app
from tests.factories import PASSWORD

TOO_MANY = "Te veel mislukte pogingen. Wacht een kwartier en probeer het dan opnieuw."
REDIS_URL = "redis://127.0.0.1:6379"


def attempt(client, email, password, address="127.0.0.1"):
    return client.post(
        "/inloggen", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def fail(client, email, times, address="127.0.0.1"):
    for _ in range(times):
        assert attempt(client, email, "fout wachtwoord", address).status_code == 422


def test_five_failures_block_the_account_even_with_the_right_password(client, make):
    user = make.make_user()
    fail(client, user.email, 5)

    response = attempt(client, user.email, PASSWORD)

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    assert client.get("/").status_code == 302, "not logged in"
    throttled = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login_throttled")
    )
    assert throttled == 1


def test_four_failures_still_let_the_right_password_in(client, make):
    user = make.make_user()
    fail(client, user.email, 4)

    assert attempt(client, user.email, PASSWORD).status_code == 303


def test_wrong_passwords_from_one_address_leave_the_account_open_elsewhere(client, make):
    """Two people trying one account (the demo facilitator) in two places: one who keeps
    mistyping does not lock the other out."""
    user = make.make_user()
    fail(client, user.email, 5, address="10.0.0.1")

    assert attempt(client, user.email, PASSWORD, address="10.0.0.1").status_code == 429
    assert attempt(client, user.email, PASSWORD, address="10.0.0.2").status_code == 303


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ACCOUNT": "6 per 15 minutes"}])
def test_account_ceiling_counts_failures_from_every_address(client, make):
    user = make.make_user()
    for number in range(6):
        fail(client, user.email, 1, address=f"10.0.0.{number + 1}")

    assert attempt(client, user.email, PASSWORD, address="10.0.0.99").status_code == 429


def test_account_throttle_ignores_case_of_the_email(client, make):
    make.make_user(email="anouk.bos@example.org")
    fail(client, "Anouk.Bos@Example.org", 5)

    assert attempt(client, "anouk.bos@example.org", PASSWORD).status_code == 429


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ACCOUNT": "2 per 15 minutes"}])
def test_unknown_email_is_throttled_like_a_known_one(client):
    fail(client, "niemand@example.org", 2)

    response = attempt(client, "niemand@example.org", "fout wachtwoord")

    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)


def test_throttle_of_one_account_leaves_other_accounts_alone(client, make):
    blocked, other = make.make_user(), make.make_user()
    fail(client, blocked.email, 5)

    assert attempt(client, other.email, PASSWORD).status_code == 303


@pytest.mark.parametrize("app_config", [{"LOGIN_FAILURES_PER_ADDRESS": "3 per 15 minutes"}])
def test_failures_on_many_accounts_block_the_address(client, make):
    victims = [make.make_user() for _ in range(3)]
    for victim in victims:
        fail(client, victim.email, 1, address="192.0.2.7")
    innocent = make.make_user()

    assert attempt(client, innocent.email, PASSWORD, address="192.0.2.7").status_code == 429
    assert attempt(client, innocent.email, PASSWORD, address="192.0.2.8").status_code == 303


def test_successful_logins_do_not_count(app, make):
    user = make.make_user()
    for _ in range(6):
        client = app.test_client()
        assert attempt(client, user.email, PASSWORD).status_code == 303


# --- Shared storage: what makes the throttle hold with several web workers ------------------


@pytest.fixture
def redis_server():
    """Redis on 127.0.0.1:6379. Without it the shared-storage test is skipped with a reason, unless
    FIELDLAB_REQUIRE_REDIS is set (CI sets it, as it requires the browser tests)."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as error:
        connection.close()
        if os.environ.get("FIELDLAB_REQUIRE_REDIS"):
            pytest.fail(f"Redis required (FIELDLAB_REQUIRE_REDIS) but {REDIS_URL} does not answer: {error}")
        pytest.skip(f"no Redis server at {REDIS_URL} (apt-get install redis-server); needed for the shared throttle")
    yield connection
    connection.close()


@pytest.fixture
def redis_prefix(redis_server):
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"fieldlab-foundation-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_server.scan_iter(match=f"*{prefix}*"))
    if keys:
        redis_server.delete(*keys)


@pytest.fixture
def worker(database_url, tmp_path):
    """Another app instance in this process, standing in for a second gunicorn worker."""
    apps = []

    def start(**config):
        other = make_test_app(database_url, tmp_path / f"worker-{len(apps)}", **config)
        apps.append(other)
        return other

    yield start
    for other in apps:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": REDIS_URL}])
def test_failures_on_one_worker_count_on_another_with_redis(redis_prefix, app, make, worker):
    app.config["RATELIMIT_KEY_PREFIX"] = redis_prefix
    second = worker(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=redis_prefix)
    user = make.make_user()
    fail(app.test_client(), user.email, 3)
    fail(second.test_client(), user.email, 2)

    assert attempt(app.test_client(), user.email, PASSWORD).status_code == 429
    assert attempt(second.test_client(), user.email, PASSWORD).status_code == 429
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{redis_prefix}*")
    assert keys, "the counters live in Redis"


def test_memory_storage_is_per_worker(app, make, worker):
    """The control for the test above: with memory:// each worker counts on its own, which is why
    a deployment with several workers must configure Redis."""
    second = worker()
    user = make.make_user()
    fail(app.test_client(), user.email, 3)
    fail(second.test_client(), user.email, 2)

    assert attempt(app.test_client(), user.email, PASSWORD).status_code == 303
