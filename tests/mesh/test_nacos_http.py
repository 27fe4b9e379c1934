"""The one description of Nacos' HTTP open API: requests it builds and answers it reads."""

from __future__ import annotations

import httpx
import pytest

from mesh.nacos_http import ADMIN_V2, NacosApi, NacosHttpError, admin_state, read_hosts, read_login
from mesh.names import NACOS_GROUP, OCR_SERVICE


def answer(status: int, body: object | str) -> httpx.Response:
    request = httpx.Request("GET", "http://nacos:8848/")
    if isinstance(body, str):
        return httpx.Response(status, text=body, request=request)
    return httpx.Response(status, json=body, request=request)


def test_api_from_an_address_or_a_url() -> None:
    assert NacosApi.at("127.0.0.1:8848").base == "http://127.0.0.1:8848"
    assert NacosApi.at(" http://nacos:8848/ ").base == "http://nacos:8848"


def test_instance_list_request_carries_group_token_and_namespace_only_when_set() -> None:
    api = NacosApi.at("127.0.0.1:8848")
    r = api.instance_list(OCR_SERVICE, "tok")
    assert r.url.path == "/nacos/v1/ns/instance/list"
    assert dict(r.url.params) == {"serviceName": OCR_SERVICE, "groupName": NACOS_GROUP, "accessToken": "tok"}
    r = api.instance_list(OCR_SERVICE, "", namespace="dev")
    assert "accessToken" not in r.url.params and r.url.params["namespaceId"] == "dev"


def test_login_answer_gives_the_token_or_a_clear_refusal() -> None:
    assert read_login(answer(200, {"accessToken": "abc", "tokenTtl": 18000})).ttl_seconds == 18000
    with pytest.raises(NacosHttpError, match="refused the login \\(403\\)"):
        read_login(answer(403, "unknown user!"))
    with pytest.raises(NacosHttpError):
        read_login(answer(200, "<html>not json</html>"))


def test_hosts_of_an_instance_list_and_errors() -> None:
    hosts = read_hosts(answer(200, {"hosts": [{"ip": "10.0.0.1", "port": 8101}]}))
    assert hosts == [{"ip": "10.0.0.1", "port": 8101}]
    assert read_hosts(answer(200, {"hosts": None})) == []
    with pytest.raises(httpx.HTTPStatusError):
        read_hosts(httpx.Response(403, request=httpx.Request("GET", "http://nacos:8848/")))
    with pytest.raises(NacosHttpError):
        read_hosts(answer(200, "plain text"))


@pytest.mark.parametrize(
    ("status", "body", "state"),
    [
        (200, {"username": "nacos", "password": "x"}, "created"),
        (409, "user 'nacos' already exist!", "exists"),
        (200, {"code": 409, "message": "have admin user cannot use it"}, "exists"),
        (410, "Gone", "absent"),
        (404, "Not Found", "absent"),
    ],
)
def test_admin_creation_answers(status: int, body: object, state: str) -> None:
    assert admin_state(answer(status, body)) == state


def test_admin_creation_refused_otherwise() -> None:
    with pytest.raises(NacosHttpError, match="500"):
        admin_state(answer(500, "boom"))
    assert NacosApi.at("n:1").create_admin("pw", ADMIN_V2).url.path == ADMIN_V2
