from portal.policy import Role


def test_home_redirects_anonymous_to_signin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_principal_sees_home(client, login, make):
    school = make.building("LAK")
    principal = make.user(Role.PRINCIPAL, building=school, display_name="Pat Lee")
    login(principal)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Pat Lee" in response.data
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "redis": "ok"}
