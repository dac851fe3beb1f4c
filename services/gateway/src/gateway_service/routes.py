"""The explicit allow-list of public routes and the service each one goes to.

Nothing reaches a service unless it is listed here: a path that is not
listed is a 404 at the gateway, whatever the services themselves expose.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str
    upstream_path: str
    operation_id: str
    summary: str
    # Passed through as it arrives (Server-Sent Events), not read whole first; GET only.
    stream: bool = False

    @property
    def takes_idempotency_key(self) -> bool:
        """The gateway honours Idempotency-Key on it (idempotency.py): a POST, read whole."""
        return self.method == "POST" and not self.stream


API = "/api/v1"


def public(method: str, path: str, service: str, operation_id: str, summary: str) -> Route:
    """A route whose public path is the service's own path under /api/v1."""
    return Route(method, API + path, service, path, operation_id, summary)


ROUTES: tuple[Route, ...] = (
    # bodies, sessions, categories, members
    public("POST", "/bodies", "proposal", "create_body", "创建机构"),
    public("GET", "/bodies", "proposal", "list_bodies", "机构列表"),
    public("GET", "/bodies/{body_id}", "proposal", "get_body", "查看机构"),
    public("POST", "/bodies/{body_id}/sessions", "proposal", "create_session", "创建会议"),
    public("GET", "/bodies/{body_id}/sessions", "proposal", "list_sessions", "会议列表"),
    public("GET", "/sessions/{session_id}", "proposal", "get_session", "查看会议"),
    public("PATCH", "/sessions/{session_id}", "proposal", "update_session", "修改会议（含公开）"),
    public("POST", "/bodies/{body_id}/categories", "proposal", "create_category", "新增类别"),
    public("GET", "/bodies/{body_id}/categories", "proposal", "list_categories", "类别列表"),
    public("PATCH", "/bodies/{body_id}/categories/{category_id}", "proposal", "update_category", "修改类别"),
    public("POST", "/bodies/{body_id}/members", "proposal", "create_member", "新增委员"),
    public("GET", "/bodies/{body_id}/members", "proposal", "list_members", "委员名录"),
    public("POST", "/bodies/{body_id}/members/import", "proposal", "import_members", "导入委员（CSV）"),
    # proposals: filing, cosigning, review, reading
    public("POST", "/proposals", "proposal", "draft_proposal", "起草提案"),
    public("GET", "/proposals", "proposal", "list_proposals", "提案列表与检索"),
    public("GET", "/proposals/{proposal_id}", "proposal", "get_proposal", "查看提案"),
    public("PATCH", "/proposals/{proposal_id}", "proposal", "edit_proposal", "修改草稿"),
    public("POST", "/proposals/{proposal_id}/cosigners", "proposal", "invite_cosigners", "邀请联名"),
    public("POST", "/proposals/{proposal_id}/cosign", "proposal", "answer_cosign_invitation", "答复联名邀请"),
    public("POST", "/proposals/{proposal_id}/submit", "proposal", "submit_proposal", "提交提案"),
    public("POST", "/proposals/{proposal_id}/withdraw", "proposal", "withdraw_proposal", "撤回提案"),
    public("POST", "/proposals/{proposal_id}/register", "proposal", "register_proposal", "立案"),
    public("POST", "/proposals/{proposal_id}/decline", "proposal", "decline_proposal", "不予立案"),
    public("POST", "/proposals/{proposal_id}/presidium-decision", "proposal", "decide_motion", "主席团决定（议案）"),
    public("POST", "/proposals/{proposal_id}/merge", "proposal", "merge_proposals", "并案"),
    public("POST", "/proposals/{proposal_id}/key", "proposal", "mark_key_proposal", "确定重点提案"),
    public("POST", "/proposals/{proposal_id}/category", "proposal", "change_proposal_category", "调整类别"),
    public("GET", "/proposals/{proposal_id}/similar", "proposal", "list_similar_proposals", "相似提案"),
    public("GET", "/proposals/{proposal_id}/timeline", "proposal", "get_proposal_timeline", "办理轨迹"),
    # units and handling rules
    public("GET", "/units", "assignment", "list_units", "承办单位列表"),
    public("GET", "/units/{unit_id}", "assignment", "get_unit", "查看承办单位"),
    public("POST", "/units", "assignment", "create_unit", "新增承办单位"),
    public("POST", "/units/import", "assignment", "import_units", "导入承办单位（CSV）"),
    Route(
        "GET",
        f"{API}/bodies/{{body_id}}/handling-rules",
        "assignment",
        "/bodies/{body_id}/rules",
        "get_handling_rules",
        "办理规则",
    ),
    Route(
        "PUT",
        f"{API}/bodies/{{body_id}}/handling-rules",
        "assignment",
        "/bodies/{body_id}/rules",
        "set_handling_rules",
        "设置办理规则",
    ),
    # assignment and handling
    Route(
        "GET", f"{API}/handling/proposals", "assignment", "/proposals", "list_handling_proposals", "待交办与办理中提案"
    ),
    Route(
        "GET",
        f"{API}/handling/proposals/{{proposal_id}}",
        "assignment",
        "/proposals/{proposal_id}",
        "get_handling_proposal",
        "查看提案办理状态",
    ),
    public("POST", "/proposals/{proposal_id}/assignments", "assignment", "assign_proposal", "交办"),
    public("POST", "/proposals/{proposal_id}/assignments/confirm", "assignment", "confirm_assignment", "确认交办"),
    public("GET", "/proposals/{proposal_id}/assignments", "assignment", "list_proposal_assignments", "承办单位与期限"),
    public("GET", "/proposals/{proposal_id}/replies", "assignment", "list_replies", "答复"),
    public("GET", "/proposals/{proposal_id}/routing-suggestions", "assignment", "suggest_units", "推荐承办单位"),
    public("POST", "/proposals/{proposal_id}/plan", "assignment", "create_handling_plan", "导入办理方案"),
    public("GET", "/proposals/{proposal_id}/plan", "assignment", "get_handling_plan", "办理方案及进度"),
    public(
        "POST",
        "/proposals/{proposal_id}/plan/deliberation",
        "assignment",
        "record_plan_deliberation",
        "常委会审议议案办理方案",
    ),
    public("GET", "/assignments", "assignment", "list_assignments", "本单位承办件"),
    public("GET", "/assignments/{assignment_id}", "assignment", "get_assignment", "查看交办"),
    public("POST", "/assignments/{assignment_id}/acknowledge", "assignment", "acknowledge_assignment", "签收"),
    public("POST", "/assignments/{assignment_id}/adjustment-requests", "assignment", "request_adjustment", "申请调整"),
    public("POST", "/adjustment-requests/{request_id}/decision", "assignment", "decide_adjustment", "审核调整申请"),
    public("POST", "/assignments/{assignment_id}/extensions", "assignment", "request_extension", "申请延期"),
    public("POST", "/extensions/{extension_id}/decision", "assignment", "decide_extension", "审核延期申请"),
    public("GET", "/requests/waiting", "assignment", "list_waiting_requests", "待审批的调整、延期申请"),
    public(
        "POST",
        "/assignments/{assignment_id}/records",
        "assignment",
        "add_handling_record",
        "沟通联系、协办意见、办理进展",
    ),
    public("GET", "/assignments/{assignment_id}/records", "assignment", "list_handling_records", "办理记录"),
    public("POST", "/assignments/{assignment_id}/reply", "assignment", "reply_to_proposal", "答复提案"),
    public("POST", "/replies/{reply_id}/send-back", "assignment", "send_back_reply", "退回答复"),
    public("GET", "/commitments", "assignment", "list_commitments", "承诺事项"),
    public("POST", "/commitments/{commitment_id}/done", "assignment", "fulfil_commitment", "承诺事项办结"),
    public(
        "GET",
        "/assignments/{assignment_id}/adjustment-requests",
        "assignment",
        "list_adjustment_requests",
        "调整申请记录",
    ),
    public("GET", "/assignments/{assignment_id}/extensions", "assignment", "list_extensions", "延期申请记录"),
    public("GET", "/supervision/board", "assignment", "get_supervision_board", "督办看板（按单位、按督办领导）"),
    public("GET", "/supervision/overdue", "assignment", "list_overdue", "超期未办复"),
    public("GET", "/supervision/due-soon", "assignment", "list_due_soon", "即将到期"),
    public("POST", "/supervision/scan", "assignment", "scan_deadlines", "执行催办扫描"),
    public("POST", "/plan-tasks/{task_id}/reports", "assignment", "report_plan_stage", "报送阶段进展"),
    # evaluations
    public("POST", "/proposals/{proposal_id}/evaluations", "evaluation", "evaluate_reply", "满意度测评"),
    public("GET", "/proposals/{proposal_id}/evaluations", "evaluation", "list_evaluations", "测评结果"),
    public(
        "GET",
        "/proposals/{proposal_id}/rating-window",
        "evaluation",
        "get_rating_window",
        "测评期限（截止日与剩余工作日）",
    ),
    public("GET", "/bodies/{body_id}/evaluation-rules", "evaluation", "get_evaluation_rules", "测评规则"),
    public("PUT", "/bodies/{body_id}/evaluation-rules", "evaluation", "set_evaluation_rules", "设置测评规则"),
    # assembly evaluations (民主测评)
    public("POST", "/ballots", "evaluation", "open_ballot", "发起民主测评"),
    public("GET", "/ballots", "evaluation", "list_ballots", "民主测评列表"),
    public("GET", "/ballots/{ballot_id}", "evaluation", "get_ballot", "查看民主测评（结束后公布结果与参评率）"),
    public("POST", "/ballots/{ballot_id}/votes", "evaluation", "cast_ballot_vote", "参加民主测评（无记名，每人一票）"),
    public("POST", "/ballots/{ballot_id}/close", "evaluation", "close_ballot", "结束民主测评并公布结果"),
    # statistics
    public("GET", "/statistics/filing", "evaluation", "get_filing_statistics", "提案统计"),
    public("GET", "/statistics", "evaluation", "get_statistics", "办理统计：件数、办复率、满意率、办理结果"),
    public("GET", "/statistics/units", "evaluation", "get_unit_statistics", "承办单位办理情况与绩效"),
    public("GET", "/bodies/{body_id}/performance-weights", "evaluation", "get_performance_weights", "绩效权重"),
    public("PUT", "/bodies/{body_id}/performance-weights", "evaluation", "set_performance_weights", "设置绩效权重"),
    public("GET", "/reports/annual", "evaluation", "get_annual_report", "提案办理情况通报（HTML、PDF、XLSX、CSV）"),
    # exports: for staff (streamed, a page of items at a time) and open data for everyone
    Route(
        "GET",
        f"{API}/exports/items",
        "evaluation",
        "/exports/items",
        "export_items",
        "提案办理情况导出（CSV、XLSX）",
        stream=True,
    ),
    Route(
        "GET",
        f"{API}/open-data/items",
        "proposal",
        "/open-data/items",
        "open_data_items",
        "公开数据：已公开会议的提案（CSV、JSON）",
        stream=True,
    ),
    # notifications (the caller's own inbox) and where they are sent
    public("GET", "/notifications", "notification", "list_notifications", "我的通知"),
    public("GET", "/notifications/unread-count", "notification", "count_unread_notifications", "未读通知数"),
    public("POST", "/notifications/{notification_id}/read", "notification", "mark_notification_read", "标为已读"),
    public("POST", "/notifications/read-all", "notification", "mark_all_notifications_read", "全部标为已读"),
    Route(
        "GET",
        f"{API}/notifications/stream",
        "notification",
        "/notifications/stream",
        "stream_notifications",
        "实时通知（Server-Sent Events）",
        stream=True,
    ),
    public("GET", "/notifications/contact", "notification", "get_my_contact", "我的通知联系方式"),
    public("PUT", "/notifications/contact", "notification", "set_my_contact", "设置我的通知联系方式"),
    public("GET", "/recipients/{recipient}/contact", "notification", "get_recipient_contact", "查看接收人联系方式"),
    public("PUT", "/recipients/{recipient}/contact", "notification", "set_recipient_contact", "设置接收人联系方式"),
    public(
        "GET",
        "/notifications/bodies/{body_id}/quiet-hours",
        "notification",
        "get_body_quiet_hours",
        "本机构短信免打扰时段",
    ),
    public(
        "PUT",
        "/notifications/bodies/{body_id}/quiet-hours",
        "notification",
        "set_body_quiet_hours",
        "设置本机构短信免打扰时段",
    ),
    # Web Push (the members' app in a browser): the VAPID key and this account's subscriptions
    public("GET", "/notifications/push/vapid-public-key", "notification", "get_vapid_public_key", "浏览器推送公钥"),
    public("POST", "/notifications/push-subscriptions", "notification", "create_push_subscription", "订阅浏览器推送"),
    public("GET", "/notifications/push-subscriptions", "notification", "list_push_subscriptions", "我的浏览器推送"),
    public(
        "DELETE",
        "/notifications/push-subscriptions/{subscription_id}",
        "notification",
        "delete_push_subscription",
        "取消浏览器推送",
    ),
    # webhooks for other systems (API keys with webhooks:manage)
    public("POST", "/webhooks", "notification", "create_webhook", "订阅事件推送（Webhook）"),
    public("GET", "/webhooks", "notification", "list_webhooks", "事件推送订阅"),
    public("GET", "/webhooks/{webhook_id}/deliveries", "notification", "list_webhook_deliveries", "推送记录"),
    public(
        "POST",
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        "notification",
        "redeliver_webhook",
        "重新推送",
    ),
)
