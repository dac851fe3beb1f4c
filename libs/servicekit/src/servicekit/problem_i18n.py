"""Problem responses in Chinese for callers that ask for it (``Accept-Language: zh-CN``).

The ``code`` stays English and stable (clients and tests branch on it); only ``title``, ``detail``
and the field errors' ``message`` are put in zh-CN, so that an app can show the server's words as
they are. One catalogue for every service: a code's title and a sentence saying what it means.
A code the catalogue lacks keeps its English text (and no ``Content-Language``): a new problem
code is never an error, only untranslated until it is added here.

Validation errors are translated per field from pydantic's error type and its context (``missing``
→ 必填, ``string_too_short`` → 至少 N 个字符, ...), and the detail names the fields.
"""

from typing import Any

ZH = "zh-CN"

# code → (title, detail). The detail says what the code means in words a member or clerk reads;
# the English detail's particulars (an id, a name) are in the request the caller just made.
CATALOGUE: dict[str, tuple[str, str]] = {
    # the framework and every service
    "validation_failed": ("填写内容有误", "请检查标出的字段。"),
    "malformed_json": ("请求格式错误", "请求内容不是有效的 JSON。"),
    "bad_request": ("请求有误", "请求有误，请检查后重试。"),
    "unauthorized": ("未登录或登录已失效", "请重新登录。"),
    "forbidden": ("没有权限", "您没有权限进行此操作。"),
    "not_found": ("未找到", "内容不存在或您无权查看。"),
    "method_not_allowed": ("不支持的操作", "此地址不支持该请求方法。"),
    "not_acceptable": ("无法提供所需格式", "无法以请求的格式答复。"),
    "conflict": ("操作冲突", "与当前状态冲突，请刷新后重试。"),
    "concurrent_change": ("操作冲突", "内容刚被其他操作修改，请重试。"),
    "precondition_failed": ("内容已变化", "您读取之后内容已被修改，请刷新后重试。"),
    "payload_too_large": ("内容过大", "提交的内容超过了大小限制。"),
    "unsupported_media_type": ("格式不受支持", "请求内容的格式不受支持。"),
    "too_many_requests": ("操作过于频繁", "操作过于频繁，请稍后再试。"),
    "rate_limited": ("操作过于频繁", "操作过于频繁，请稍后再试。"),
    "invalid_value": ("取值无效", "请求中有无法保存的内容。"),
    "invalid_cursor": ("分页参数无效", "分页位置无效，请从第一页重新加载。"),
    "internal_error": ("服务器出错", "服务器出错，请稍后重试。"),
    "not_ready": ("服务尚未就绪", "服务暂时不可用，请稍后重试。"),
    "invalid_encoding": ("文件编码无效", "文件须为 UTF-8 或 GB18030 编码的文本。"),
    "invalid_csv": ("文件格式无效", "文件不是有效的 CSV 表格。"),
    "invalid_csv_header": ("表头不正确", "文件第一行须为规定的列名。"),
    "invalid_rows": ("部分行有误", "文件中有错误的行，未导入任何内容；请按所列行号修改后重试。"),
    "empty_file": ("文件为空", "文件中没有数据行。"),
    # the gateway: sign-in, accounts, keys, idempotency, upstreams
    "invalid_credentials": ("账号或密码错误", "账号或密码错误。"),
    "invalid_refresh_token": ("登录已失效", "登录已失效，请重新登录。"),
    "too_many_attempts": ("尝试次数过多", "失败次数过多，请稍后再试。"),
    "wrong_password": ("当前密码不正确", "当前密码不正确。"),
    "username_taken": ("账号已被占用", "该账号名已被使用。"),
    "account_inactive": ("账号已停用", "该账号已停用，请先启用。"),
    "cannot_deactivate_self": ("不能停用自己的账号", "请由其他管理员操作。"),
    "invalid_activation_code": ("激活码不正确", "激活码与账号不匹配，请核对后重新输入。"),
    "activation_code_used": ("激活码已使用", "该激活码已使用过，请联系工作人员重新获取。"),
    "activation_code_expired": ("激活码已过期", "该激活码已过期，请联系工作人员重新获取。"),
    "accounts_changed": ("账号已变化", "账号刚被其他操作创建，请重试。"),
    "idempotency_in_progress": ("请求正在处理", "请求正在处理中，请勿重复提交。"),
    "idempotency_key_reused": ("重复的请求标识", "同一请求标识已用于不同的内容。"),
    "invalid_idempotency_key": ("请求标识无效", "Idempotency-Key 须为 1 至 255 个字符。"),
    "upstream_unavailable": ("服务暂时不可用", "服务暂时不可用，请稍后重试。"),
    "upstream_timeout": ("服务响应超时", "服务未能及时答复，请稍后重试。"),
    "scope_missing": ("没有权限", "此密钥没有进行该操作的权限。"),
    # proposals: filing, cosigning, review
    "filing_closed": ("提交已截止", "本次会议的提案提交时间已过或尚未开始。"),
    "cosigning_closed": ("联名已截止", "联名邀请已不能再答复。"),
    "invitation_expired": ("邀请已过期", "联名邀请已过答复期限。"),
    "deadline_passed": ("期限无效", "答复期限须晚于现在。"),
    "lead_cannot_cosign": ("不能联名自己的提案", "领衔人不能作为自己提案的联名人。"),
    "not_cosigned": ("联名人不足", "尚有联名人未同意。"),
    "too_few_cosigners": ("联名人不足", "联名提案须有足够的联名人同意后才能提交。"),
    "not_a_draft": ("不是草稿", "只有草稿可以修改或提交。"),
    "not_submitted": ("尚未提交", "该提案尚未提交。"),
    "not_withdrawable": ("不能撤回", "该提案当前状态不能撤回。"),
    "not_your_item": ("不是您的提案", "委员只能以自己为领衔人提交提案。"),
    "already_registered": ("已立案", "该提案已经立案。"),
    "not_registered": ("尚未立案", "只有已立案的提案可以进行此操作。"),
    "not_mergeable": ("不能并案", "所选提案当前状态不能并案。"),
    "merge_into_itself": ("不能并入自身", "提案不能并入它自己。"),
    "member_code_taken": ("编号已被占用", "该编号已属于其他委员。"),
    "session_exists": ("会议已存在", "该会议已经存在。"),
    "category_exists": ("类别已存在", "该类别已经存在。"),
    "unknown_category": ("类别无效", "所选类别不属于本机构或已停用。"),
    "kind_not_filed_here": ("提案类型不适用", "本机构不受理此类型。"),
    "group_name_required": ("须填写提交单位", "集体提案须写明党派、团体或专门委员会名称。"),
    "leader_required": ("须指定督办领导", "重点提案须指定督办领导。"),
    "no_rater": ("无人测评", "该提案没有可以进行满意度测评的人。"),
    # handling
    "assignment_closed": ("交办已变更", "该件已改由其他单位承办。"),
    "already_acknowledged": ("已签收", "该交办已经签收。"),
    "already_replied": ("已答复", "本轮已经答复。"),
    "already_decided": ("已审核", "该申请已经审核。"),
    "already_done": ("已办结", "该承诺事项已标记为完成。"),
    "adjustment_window_closed": ("调整申请已截止", "已超过申请调整的期限。"),
    "request_pending": ("已有待审核的申请", "该交办已有待审核的调整申请。"),
    "contact_required": ("须先沟通联系", "本机构要求答复前先记录与提案人的沟通联系。"),
    "commitments_required": ("须列明承诺事项", "“正在解决”类答复须列明承诺事项及完成时间。"),
    "unknown_unit": ("承办单位无效", "所选承办单位不存在。"),
    "unknown_outcome": ("办理结果无效", "办理结果类别不是本机构的类别。"),
    # evaluations and ballots
    "evaluation_closed": ("测评已截止", "满意度测评期限已过。"),
    "not_replied": ("尚未答复", "该单位尚未答复，暂不能测评。"),
    "reply_not_current": ("答复暂不能测评", "该答复暂不能测评，请稍后再试。"),
    "item_not_handled": ("提案未办理", "该提案已不予立案、撤回或并案。"),
    "already_voted": ("已投票", "您已参加过本次民主测评。"),
    "ballot_closed": ("测评已结束", "本次民主测评已经结束。"),
    "ballot_not_open": ("测评未开始", "本次民主测评尚未开始。"),
    "already_closed": ("测评已结束", "本次民主测评已经结束。"),
    "ballot_exists": ("测评已存在", "该提案已有进行中或待开始的民主测评。"),
    "unknown_option": ("选项无效", "所选评价不是本次测评的选项。"),
}

# pydantic error type → message (formatted with the error's context).
FIELD_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_type": "须为文字",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "float_parsing": "须为数字",
    "bool_parsing": "须为是或否",
    "date_parsing": "日期格式不正确（如 2026-03-01）",
    "date_from_datetime_parsing": "日期格式不正确（如 2026-03-01）",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "uuid_parsing": "不是有效的标识",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "须小于 {lt}",
    "extra_forbidden": "不接受此字段",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值不正确",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "url_parsing": "网址格式不正确",
    "url_scheme": "网址格式不正确",
}


def wants_chinese(accept_language: str | None) -> bool:
    """Whether the best language of an Accept-Language header (RFC 9110 §12.5.4) is Simplified
    Chinese: zh, zh-CN, zh-Hans, zh-SG with the highest weight (ties go to Chinese). Traditional
    (zh-TW, zh-HK, zh-Hant) is not what the catalogue holds."""
    if not accept_language:
        return False
    best_zh = best_other = 0.0
    for part in accept_language.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        subtags = tag.split("-")
        if subtags[0] == "zh" and not {"tw", "hk", "mo", "hant"} & set(subtags[1:]):
            best_zh = max(best_zh, weight)
        elif tag and tag != "*":
            best_other = max(best_other, weight)
    return best_zh > 0 and best_zh >= best_other


# The imports' own row problems (servicekit.csvfile.row_problem), by type.
ROW_MESSAGES: dict[str, str] = {
    "extra_cells": "本行的单元格多于表头的列",
    "duplicate_code": "编号与第 {row} 行相同",
    "code_taken": "编号 {code} 已被使用",
    "unknown_parent": "上级编号 {parent_code} 不存在",
}


def field_message(error: dict[str, Any]) -> str | None:
    """The zh-CN message for one pydantic error (or an import's row problem), or None when its type
    is not in the tables."""
    kind = str(error.get("type"))
    template = FIELD_MESSAGES.get(kind) or ROW_MESSAGES.get(kind)
    if template is None:
        return None
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].strip() or None


def row_problems(problems: list[dict[str, Any]], *, chinese: bool) -> list[dict[str, Any]]:
    """An import's row problems as the API answers them (row, field, message, type), each message in
    zh-CN when the caller asks for Chinese and its type is known; the values behind the message
    (``ctx``, which may hold exceptions) stay inside."""
    return [
        {
            "row": p["row"],
            "field": p["field"],
            "message": (field_message(p) if chinese else None) or p["message"],
            "type": p.get("type"),
        }
        for p in problems
    ]


def translate(body: dict[str, Any], pydantic_errors: list[dict[str, Any]] | None = None) -> bool:
    """Puts the problem ``body`` in zh-CN in place; False (and unchanged) if its code is unknown.
    ``pydantic_errors`` are the framework's errors behind a validation problem, in the order of
    ``body["errors"]``, for per-field messages."""
    entry = CATALOGUE.get(str(body.get("code")))
    if entry is None:
        return False
    title, detail = entry
    body["title"] = title
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        fields: list[str] = []
        for i, error in enumerate(errors):
            if not isinstance(error, dict):
                continue
            message = field_message(pydantic_errors[i]) if pydantic_errors and i < len(pydantic_errors) else None
            if "row" in error:  # an import's row problem keeps its own words
                message = error["message"]
            # A use case's own field problem (invalid()) says what its code says.
            error["message"] = message or (detail if not pydantic_errors else error.get("message"))
            if error.get("field") and error["field"] not in fields:
                fields.append(str(error["field"]))
        body["detail"] = (
            f"以下字段填写有误：{'、'.join(fields)}。" if body.get("code") == "validation_failed" else detail
        )
        if body.get("code") == "validation_failed" and not fields:
            body["detail"] = detail
    else:
        body["detail"] = detail
    return True
