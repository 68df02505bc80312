"""The minimal view `/-/ping` (dxpia/urls.py): the yardstick of bench/load.py, and a cheap check for
a load balancer. It answers anyone with a short text, touches no database and sets no cookie."""


def test_ping_answers_ok_without_the_database_or_a_session(client):
    response = client.get("/-/ping")  # no database fixture: any query would fail the test
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies


def test_ping_for_a_signed_in_user_reads_only_the_session_and_user(bob_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the security headers' middleware asks whether one is signed in
        response = bob_client.get("/-/ping")
    assert response.content == b"ok"
