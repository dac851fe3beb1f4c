"""Problems in Chinese when asked (Accept-Language: zh-CN): title, detail and field messages in
zh-CN from servicekit's catalogue, the code unchanged; English otherwise; a code the catalogue
lacks stays English."""

from datetime import date

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict, Field

from servicekit.errors import Problem, install_problem_handlers, invalid
from servicekit.problem_i18n import CATALOGUE, wants_chinese

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=4, max_length=20)
    count: int = Field(ge=1)
    due: date


async def _draft(draft: Draft) -> dict[str, str]:
    return {"title": draft.title}


async def _wrong_password() -> None:
    raise Problem(422, "wrong_password", "Wrong Password", "the current password is not right")


async def _deadline() -> None:
    raise invalid("deadline_passed", "deadline", "the deadline must be in the future")


async def _new_code() -> None:
    raise Problem(409, "brand_new_problem", "Brand New Problem", "nobody translated this yet")


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    router = APIRouter()
    router.add_api_route("/drafts", _draft, methods=["POST"])
    router.add_api_route("/password", _wrong_password, methods=["POST"])
    router.add_api_route("/deadline", _deadline, methods=["POST"])
    router.add_api_route("/new", _new_code, methods=["POST"])
    app.include_router(router)
    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://test")


async def test_a_problem_is_in_english_unless_chinese_is_asked_for(client: httpx.AsyncClient) -> None:
    async with client:
        english = await client.post("/password")
        assert english.json()["title"] == "Wrong Password"
        assert english.json()["detail"] == "the current password is not right"
        assert "content-language" not in english.headers
        assert english.headers["vary"] == "Accept-Language"
        chinese = await client.post("/password", headers=ZH)
        assert chinese.status_code == 422
        assert chinese.json()["code"] == "wrong_password"  # the code stays English
        assert chinese.json()["title"] == "当前密码不正确"
        assert chinese.json()["detail"] == "当前密码不正确。"
        assert chinese.headers["content-language"] == "zh-CN"
        # English preferred over Chinese: English.
        assert (await client.post("/password", headers={"Accept-Language": "en-GB,zh-CN;q=0.5"})).json()[
            "title"
        ] == "Wrong Password"


async def test_validation_errors_name_the_fields_in_chinese(client: httpx.AsyncClient) -> None:
    async with client:
        body = {"title": "短", "count": 0, "due": "not a date", "colour": "red"}
        english = (await client.post("/drafts", json=body)).json()
        assert english["detail"] == "invalid fields: colour, count, due, title"
        chinese = await client.post("/drafts", json=body, headers={"Accept-Language": "zh-CN"})
        problem = chinese.json()
        assert chinese.status_code == 422 and problem["code"] == "validation_failed"
        assert problem["title"] == "填写内容有误"
        messages = {e["field"]: e["message"] for e in problem["errors"]}
        assert messages == {
            "title": "至少 4 个字符",
            "count": "不能小于 1",
            "due": "日期格式不正确（如 2026-03-01）",
            "colour": "不接受此字段",
        }
        assert problem["detail"].startswith("以下字段填写有误：")
        assert all(field in problem["detail"] for field in messages)
        missing = (await client.post("/drafts", json={}, headers=ZH)).json()
        assert {e["field"]: e["message"] for e in missing["errors"]} == {
            "title": "必填",
            "count": "必填",
            "due": "必填",
        }
        malformed = await client.post("/drafts", content=b"{", headers={**ZH, "content-type": "application/json"})
        assert malformed.status_code == 400 and malformed.json()["title"] == "请求格式错误"


async def test_a_use_case_field_problem_names_its_field_in_chinese(client: httpx.AsyncClient) -> None:
    async with client:
        problem = (await client.post("/deadline", headers=ZH)).json()
        assert problem["code"] == "deadline_passed" and problem["title"] == "期限无效"
        assert problem["errors"] == [{"in": "body", "field": "deadline", "message": "答复期限须晚于现在。"}]


async def test_a_code_without_a_translation_falls_back_to_english(client: httpx.AsyncClient) -> None:
    assert "brand_new_problem" not in CATALOGUE
    async with client:
        answer = await client.post("/new", headers=ZH)
        assert answer.status_code == 409
        assert answer.json()["title"] == "Brand New Problem"
        assert answer.json()["detail"] == "nobody translated this yet"
        assert "content-language" not in answer.headers
        # The framework's own answers are translated too (404 of an unknown path).
        unknown = await client.get("/nowhere", headers=ZH)
        assert unknown.status_code == 404 and unknown.json()["title"] == "未找到"


@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        ("zh-CN", True),
        ("zh", True),
        ("zh-Hans-CN;q=0.8, en;q=0.7", True),
        ("en-US,en;q=0.9,zh-CN;q=0.8", False),
        ("zh-TW", False),
        ("zh-Hant", False),
        ("*", False),
        ("", False),
        (None, False),
        ("zh-CN;q=0", False),
        ("zh-CN;q=abc, en", False),
    ],
)
def test_which_accept_language_means_chinese(header: str | None, chinese: bool) -> None:
    assert wants_chinese(header) is chinese


def test_every_catalogue_entry_is_chinese() -> None:
    for code, (title, detail) in CATALOGUE.items():
        assert code == code.lower() and " " not in code
        assert any("\u4e00" <= c <= "\u9fff" for c in title + detail), code
