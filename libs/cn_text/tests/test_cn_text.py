"""cn_text: the normal form, the stop words, the tokenizer loaded once, and index terms that a query never misses."""

import threading
import time

import jieba
import pytest
from cn_text import (
    MAX_TERM_CHARS,
    RUN,
    STOPWORDS,
    bigrams,
    fts_safe,
    fts_terms,
    han_bigrams,
    index_terms,
    is_content,
    normalise,
    query_terms,
    segment,
    tokenizer,
    tokens,
)


def test_normalise_folds_full_width_forms_and_case() -> None:
    assert normalise("５Ｇ基站，ＡＢ超") == "5g基站,ab超"


def test_the_stop_words_are_function_words_and_boilerplate_not_places_or_domain_nouns() -> None:
    assert {"的", "我们", "关于", "建议", "进一步", "有关部门", "我市", "我省", "导致", "支持"} <= STOPWORDS
    assert not {"武汉", "武汉市", "建设", "服务", "管理", "社区", "小区", "企业"} & STOPWORDS


@pytest.mark.parametrize(
    ("term", "content"),
    [
        ("停车", True),
        ("5g", True),
        ("a", True),
        ("的", False),
        ("关于", False),
        ("车", False),
        ("，", False),
        (" ", False),
    ],
)
def test_is_content(term: str, content: bool) -> None:
    assert is_content(term) is content


def test_tokens_are_content_words_in_order() -> None:
    assert tokens("关于进一步加强我市中小学学位供给的建议") == ["中小学", "学位", "供给"]
    assert tokens("５Ｇ基站建设") == ["5g", "基站", "建设"]


def test_jieba_sees_the_case_its_dictionary_has() -> None:
    # B超 and T恤 are dictionary words; lowercased first, jieba would cut them into b/超 and t/恤.
    assert tokens("开展B超检查，购买T恤") == ["b超", "检查", "购买", "t恤"]


def test_bare_numbers_are_kept_unless_asked() -> None:
    text = "新增车位2000个，覆盖率达到80%，投资3.5亿元"
    assert {"2000", "80%", "3.5"} <= set(tokens(text))
    assert tokens(text, numbers=False) == ["新增", "车位", "覆盖率", "达到", "投资", "亿元"]


def test_the_tokenizer_is_the_process_own_and_loaded_once() -> None:
    assert tokenizer() is tokenizer()
    assert tokenizer() is not jieba.dt  # jieba's global default is left to others


def test_the_first_callers_from_several_threads_share_one_load(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []

    class SlowTokenizer:
        def initialize(self) -> None:
            time.sleep(0.05)  # long enough for every thread to arrive while the first one loads
            loads.append(self)

    monkeypatch.setattr(segment, "_tokenizer", None)
    monkeypatch.setattr(segment.jieba, "Tokenizer", SlowTokenizer)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(tokenizer())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1 and got == loads * 8


def test_bigrams_stay_within_han_runs() -> None:
    assert bigrams("停车难") == ["停车", "车难"]
    assert bigrams("车") == []
    assert han_bigrams("停车难ab停车") == ["停车", "车难", "停车"]


@pytest.mark.parametrize(
    ("query", "title", "content"),
    [
        ("新城", "关于推动重新城市更新的建议", ""),  # jieba cuts 重新/城市: only the bigram finds it
        ("停车难", "关于解决停车难题的建议", ""),  # jieba: 停车/难题
        ("5G基站", "建议加快５Ｇ基站建设", ""),  # full-width in the document, ASCII in the query
        ("老旧小区加装电梯", "关于民生的建议", "建议为老旧小区加装电梯提供补贴"),
        ("武汉 渍水", "关于治理武汉中心城区渍水的建议", ""),  # a place name is a search word
    ],
)
def test_a_query_finds_a_document_holding_its_words(query: str, title: str, content: str) -> None:
    terms = query_terms(query)
    assert terms and set(terms) <= index_terms(title, content)


def test_ascii_words_match_whole_runs() -> None:
    assert not set(query_terms("5G")) <= index_terms("15G网络", "")


def test_a_query_of_boilerplate_has_nothing_to_look_up() -> None:
    assert query_terms("关于进一步加强的建议") == []
    assert query_terms("，。的") == []


def test_terms_are_content_and_capped() -> None:
    terms = index_terms("关于进一步加强我市停车管理的建议", "x" * 100)
    assert terms and all(is_content(t) for t in terms)
    assert "x" * MAX_TERM_CHARS in terms and max(map(len, terms)) == MAX_TERM_CHARS


def test_full_text_terms_are_the_sorted_runs_a_query_can_hold() -> None:
    stored = fts_terms("PM2.5监测", "停车管理")
    assert stored.split() == sorted(stored.split())
    assert all(RUN.fullmatch(t) for t in stored.split())
    assert {"pm2", "5", "监测", "停车", "管理"} <= set(stored.split()) and "pm2.5" not in stored.split()
    assert fts_safe(["pm2.5", "停车", "5g", "a b"]) == ["停车", "5g"]
