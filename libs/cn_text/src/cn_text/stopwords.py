"""The stop words of proposal text: one list for search, similar items, routing and reply coverage.

Two groups. Function words and pronouns, as in any Chinese stop-word list. Then the proposal boilerplate: nearly every
案由 reads 关于[进一步][加强/推进/加快]我市……工作的建议/提案, nearly every body says 建议有关部门……完善……机制/措施
and describes the problem as 存在……导致/造成/影响……. These words carry no concrete ask: for similarity they would make
any two proposals look alike, for search they would match every document, and they say nothing about which unit
should handle an item. Domain nouns that are common but meaningful (建设, 服务, 管理, 社区, 小区, 企业) are kept:
IDF damps them, a user may well search for them, and they still separate some units. Single characters are listed
although ``is_content`` drops every single Han character anyway, so that the list stands on its own.

No place names. The platform serves any city's bodies, so a city's name is not boilerplate to the library; where it
is in nearly every item, IDF damps it, and a search for it must find something. Words that stand for "our own"
administrative level (我市, 我省, 全区, 本市…) are boilerplate wherever the platform runs, and are listed.

Merged from the proposal service's list (search, similar items; 203 words) and the routing model's (routing, reply
coverage; 195 words), which had drifted apart on 30 words:
- 19 only in the proposal list, all kept: function words and pronouns the routing list had lost (一, 一个, 他, 你, 你们,
  它, 它们, 我, 这个, 那个, 首先, 其次, 四是, 五是), and boilerplate (提议; 我国, 我省, 全省, 本区: "our own" level);
- 9 only in the routing list, kept: function words (仍, 仍然, 尚, 却) and the words a body describes any problem with
  (导致, 造成, 影响, 难以), plus 支持 (加大支持力度, 给予支持), as empty in a search or a similarity as 给予 and 力度;
- 2 only in the routing list, dropped: 武汉, 武汉市, a place name (above).
On the labelled sets (services/*/tests/data) similar items keep precision 0.957 and recall 1.0 at their threshold,
reply coverage keeps 0.90 and 0.98, routing keeps acc@1 0.53 and acc@3 0.82 on the tests' split. Over 20 splits
routing's worst acc@3 went from 0.79 to 0.78 (one item), from 武汉 alone; the words added to either side moved none of these figures.
"""

import re

from cn_text.chars import HAN_RUN

__all__ = ["STOPWORDS", "is_content"]

# fmt: off
STOPWORDS: frozenset[str] = frozenset([
    # function words and pronouns
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "以及", "或", "或者", "并", "并且", "而", "而且", "且", "等",
    "等等", "之", "其", "其中", "此", "该", "这", "那", "这些", "那些", "这个", "那个", "一", "一个", "一些", "一是",
    "二是", "三是", "四是", "五是", "在", "对", "对于", "为", "为了", "将", "把", "被", "从", "向", "于", "以", "由",
    "给", "让", "使", "是", "有", "就", "也", "都", "还", "又", "要", "应", "应当", "应该", "可", "可以", "能", "能够",
    "会", "已", "已经", "不", "没有", "很", "较", "更", "更加", "最", "仍", "仍然", "尚", "却", "我", "我们", "你",
    "你们", "他", "他们", "它", "它们", "其他", "各", "各类", "各种", "每", "所", "所有", "如", "如果", "但", "但是",
    "因", "因为", "所以", "通过", "按照", "根据", "围绕", "针对", "目前", "当前", "现在", "近年来", "今年", "去年",
    "部分", "不少", "许多", "很多", "较多", "较大", "一定", "一批", "多数", "主要", "重要", "同时", "此外", "首先",
    "其次", "以上", "以下",
    # proposal boilerplate
    "关于", "建议", "建议案", "提案", "议案", "意见", "提议", "呼吁", "对策", "措施", "思考", "几点", "若干", "有关",
    "相关", "方面", "问题", "工作", "情况", "现状", "存在", "导致", "造成", "影响", "难以", "进行", "开展", "实施",
    "实行", "落实", "加强", "推进", "加快", "推动", "促进", "进一步", "切实", "积极", "大力", "不断", "持续", "全面",
    "完善", "提升", "提高", "强化", "优化", "深化", "健全", "做好", "抓好", "着力", "努力", "有效", "充分", "逐步",
    "尽快", "给予", "确保", "支持", "机制", "体系", "力度", "水平", "部门", "有关部门", "相关部门", "政府", "我市",
    "我区", "我省", "我国", "全市", "全区", "全省", "本市", "本区", "各区", "各级",
])
# fmt: on

_WORDLIKE = re.compile(r"\w")  # a term without a letter, digit or Han character is punctuation or space


def is_content(term: str) -> bool:
    """Whether a word or term carries content: it has a letter, digit or Han character (not punctuation or space),
    is no stop word, and is not a single Han character (in jieba's precise mode mostly a particle or an HMM
    fragment)."""
    return (
        bool(_WORDLIKE.search(term))
        and term not in STOPWORDS
        and not (len(term) == 1 and HAN_RUN.fullmatch(term) is not None)
    )
