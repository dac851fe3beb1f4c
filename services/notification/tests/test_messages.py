"""Events turned into notifications, without Kafka or a database (milliseconds)."""

from datetime import UTC, date, datetime

import pytest
from contract_events import contract_event, published

from notification_service.domain import messages
from notification_service.domain.messages import UNKNOWN_ITEM, Item
from notification_service.events import consumed as ev
from notification_service.events.handlers import IGNORED, subscriptions

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REF = {"proposal_id": "p-1", "body_id": "b-1", "session_id": "s-1", "kind": "joint"}
ITEM = Item(
    title="关于加强社区养老服务的建议", number_label="0012", lead_member_id="m-lead", cosigner_member_ids=("m-2", "m-3")
)


def recipients(drafts: list[messages.Draft]) -> list[str]:
    return [d.recipient for d in drafts]


def test_registered_tells_the_lead_and_every_cosigner_once_with_the_number() -> None:
    event = contract_event(
        "proposal.registered.v1",
        **REF, number=12, number_label="0012", title=ITEM.title or "", content="c", category_id=None, category=None,
        lead_member_id="m-lead", lead_proposer="刘洋", cosigner_member_ids=["m-2", "m-lead", "m-3"], group_name=None,
        key=False, registered_at=NOW,
    )  # fmt: skip
    drafts = messages.registered(ev.ProposalRegistered.model_validate(event.data))
    assert recipients(drafts) == ["member:m-lead", "member:m-2", "member:m-3"]
    assert all(d.kind == "proposal_registered" and "0012" in d.body and d.proposal_id == "p-1" for d in drafts)


def test_declined_names_the_reason_in_words_and_the_note_and_referral() -> None:
    event = contract_event(
        "proposal.declined.v1",
        **REF,
        reason="outside_remit",
        note="建议向市人大反映",
        referral="public_opinion",
        declined_at=NOW,
    )
    drafts = messages.declined(ev.ProposalDeclined.model_validate(event.data), ITEM)
    assert recipients(drafts) == ["member:m-lead", "member:m-2", "member:m-3"]
    body = drafts[0].body
    assert "不属于本机构职责范围" in body and "建议向市人大反映" in body and "社情民意" in body
    assert "outside_remit" not in body


def test_declined_with_an_unknown_reason_code_still_reads_as_words() -> None:
    event = ev.ProposalDeclined(**REF, reason="new_code_2027", note="", referral="none")
    assert "其他原因" in messages.declined(event, ITEM)[0].body


def test_merged_tells_the_merged_items_own_proposers() -> None:
    event = ev.ProposalMerged(**REF, primary_id="p-0", lead_member_id="m-9", cosigner_member_ids=["m-8"])
    assert recipients(messages.merged(event, UNKNOWN_ITEM)) == ["member:m-9", "member:m-8"]


def test_assigned_tells_the_unit_and_the_proposers_which_unit_and_due_date() -> None:
    event = contract_event(
        "assignment.created.v1",
        assignment_id="as-1", proposal_id="p-1", body_id="b-1", unit_id="u-1", unit_name="市民政局", role="lead",
        round=1, due_date=date(2026, 6, 2), assigned_at=NOW,
    )  # fmt: skip
    drafts = messages.assigned(ev.AssignmentCreated.model_validate(event.data), ITEM)
    assert recipients(drafts) == ["unit:u-1", "member:m-lead", "member:m-2", "member:m-3"]
    assert "2026年6月2日" in drafts[0].body and "主办" in drafts[0].body
    assert "市民政局" in drafts[1].body and "2026年6月2日" in drafts[1].body


def test_reassigned_tells_both_units_the_adjustment_decision() -> None:
    event = ev.AssignmentReassigned(
        proposal_id="p-1", body_id="b-1", assignment_id="as-1", unit_id="u-2", unit_name="市住房局", role="lead",
        round=1, due_date=date(2026, 6, 2), previous_unit_id="u-1",
    )  # fmt: skip
    drafts = messages.reassigned(event, ITEM)
    assert recipients(drafts)[:2] == ["unit:u-2", "unit:u-1"]
    assert drafts[1].kind == "adjustment_approved" and "市住房局" in drafts[1].body


def test_deadline_messages_go_to_the_unit_only() -> None:
    notice = ev.AssignmentDeadline(
        proposal_id="p-1", body_id="b-1", assignment_id="as-1", unit_id="u-1", due_date=date(2026, 6, 2),
        working_days_left=3,
    )  # fmt: skip
    assert recipients(messages.due_soon(notice, ITEM)) == ["unit:u-1"]
    assert "3个工作日" in messages.due_soon(notice, ITEM)[0].body
    assert recipients(messages.overdue(notice, ITEM)) == ["unit:u-1"]
    extended = ev.AssignmentExtended(
        proposal_id="p-1", body_id="b-1", assignment_id="as-1", unit_id="u-1", due_date=date(2026, 8, 3),
        previous_due_date=date(2026, 6, 2),
    )  # fmt: skip
    [draft] = messages.extended(extended, ITEM)
    assert draft.recipient == "unit:u-1" and "2026年8月3日" in draft.body


def test_a_reply_asks_the_proposers_to_rate_it_but_a_co_handlers_opinion_does_not() -> None:
    reply = ev.AssignmentReplied(
        proposal_id="p-1", body_id="b-1", reply_id="r-1", unit_id="u-1", unit_name="市民政局", role="lead", round=1,
        outcome="A", replied_at=NOW,
    )  # fmt: skip
    drafts = messages.replied(reply, ITEM, rating_days=15)
    assert recipients(drafts) == ["member:m-lead", "member:m-2", "member:m-3"]
    assert "15个工作日内" in drafts[0].body and "满意度测评" in drafts[0].body
    assert messages.replied(reply.model_copy(update={"role": "co"}), ITEM, rating_days=15) == []


def test_an_item_this_service_never_saw_still_gets_the_units_message() -> None:
    notice = ev.AssignmentDeadline(
        proposal_id="p-x", body_id="b-1", assignment_id="as-1", unit_id="u-1", due_date=date(2026, 6, 2),
        working_days_left=0,
    )  # fmt: skip
    [draft] = messages.overdue(notice, UNKNOWN_ITEM)
    assert "您的提案" in draft.body
    assert (
        messages.rehandling(
            ev.RehandlingOpened(proposal_id="p-x", body_id="b-1", round=2, due_date=date(2026, 7, 1)), UNKNOWN_ITEM
        )
        == []
    )


def test_a_reopened_assignment_tells_its_unit_what_happened_and_the_new_deadline() -> None:
    reopened = ev.AssignmentReopened(
        proposal_id="p-1", body_id="b-1", assignment_id="as-1", unit_id="u-1", round=2, due_date=date(2026, 7, 1),
    )  # fmt: skip
    [draft] = messages.reopened(reopened, ITEM)
    assert (draft.recipient, draft.kind) == ("unit:u-1", "assignment_reopened")
    assert "不满意" in draft.body and "第2轮" in draft.body and "2026年7月1日" in draft.body


def test_a_sent_back_reply_tells_its_unit_the_reason_and_the_suggestions_it_missed() -> None:
    sent_back = ev.ReplySentBack(
        proposal_id="p-1", body_id="b-1", reply_id="r-1", assignment_id="as-1", unit_id="u-1", round=1,
        reason="未答复第二条建议", unanswered=[2],
    )  # fmt: skip
    [draft] = messages.reply_sent_back(sent_back, ITEM)
    assert (draft.recipient, draft.kind) == ("unit:u-1", "reply_sent_back")
    assert "退回" in draft.body and "未答复第二条建议。" in draft.body and "第2条" in draft.body


def test_a_cosign_invitation_goes_to_each_invitee_with_the_local_deadline_date() -> None:
    # 17:00 UTC on 5 March is 6 March in Beijing: the member reads the local date.
    event = contract_event(
        "proposal.cosign_invited.v1",
        **REF, title="关于加强社区养老服务的建议", lead_member_id="m-lead", member_ids=["m-2", "m-3", "m-2"],
        deadline=datetime(2026, 3, 5, 17, 0, tzinfo=UTC), invited_at=NOW,
    )  # fmt: skip
    drafts = messages.cosign_invited(ev.CosignInvited.model_validate(event.data))
    assert recipients(drafts) == ["member:m-2", "member:m-3"]
    assert all(d.kind == "cosign_invited" and "2026年3月6日" in d.body and "社区养老" in d.body for d in drafts)


def test_a_cosign_answer_tells_the_lead_whether_it_was_accepted() -> None:
    event = contract_event(
        "proposal.cosign_answered.v1",
        **REF,
        title="t",
        lead_member_id="m-lead",
        member_id="m-2",
        accepted=False,
        answered_at=NOW,
    )
    [draft] = messages.cosign_answered(ev.CosignAnswered.model_validate(event.data))
    assert draft.recipient == "member:m-lead" and draft.kind == "cosign_declined" and "谢绝" in draft.body
    accepted = ev.CosignAnswered.model_validate({**event.data, "accepted": True})
    assert messages.cosign_answered(accepted)[0].kind == "cosign_accepted"


def test_refused_requests_tell_the_unit_with_the_note_and_the_unchanged_due_date() -> None:
    adj = contract_event(
        "assignment.adjustment_refused.v1",
        request_id="r-1", assignment_id="as-1", proposal_id="p-1", body_id="b-1", unit_id="u-1", note="职责明确",
        refused_at=NOW,
    )  # fmt: skip
    [draft] = messages.adjustment_refused(ev.AdjustmentRefused.model_validate(adj.data), ITEM)
    assert draft.recipient == "unit:u-1" and draft.kind == "adjustment_refused" and "职责明确" in draft.body
    ext = contract_event(
        "assignment.extension_refused.v1",
        extension_id="x-1", assignment_id="as-1", proposal_id="p-1", body_id="b-1", unit_id="u-1",
        requested_due_date=date(2026, 8, 3), due_date=date(2026, 6, 2), note=None, refused_at=NOW,
    )  # fmt: skip
    [draft] = messages.extension_refused(ev.ExtensionRefused.model_validate(ext.data), ITEM)
    assert draft.recipient == "unit:u-1" and "2026年8月3日" in draft.body and "2026年6月2日" in draft.body


def test_a_co_handlers_opinion_goes_to_the_lead_unit() -> None:
    event = contract_event(
        "assignment.opinion_sent.v1",
        record_id="h-1", assignment_id="as-2", proposal_id="p-1", body_id="b-1", unit_id="u-co", unit_name="市财政局",
        lead_unit_ids=["u-lead"], round=1, sent_at=NOW,
    )  # fmt: skip
    [draft] = messages.opinion_sent(ev.OpinionSent.model_validate(event.data), ITEM)
    assert draft.recipient == "unit:u-lead" and draft.kind == "co_opinion_received" and "市财政局" in draft.body


def test_an_opened_ballot_invites_each_elector() -> None:
    event = contract_event(
        "assembly_evaluation.opened.v1",
        ballot_id="bal-1", body_id="b-1", session_id="s-1", proposal_id="p-1", title="关于优化营商环境的建议案",
        options=["satisfied"], eligible=2, opens_at=NOW, closes_at=datetime(2026, 3, 3, 2, 0, tzinfo=UTC),
        elector_member_ids=["m-5", "m-6"],
    )  # fmt: skip
    drafts = messages.ballot_opened(ev.BallotOpened.model_validate(event.data))
    assert recipients(drafts) == ["member:m-5", "member:m-6"]
    assert "2026年3月3日" in drafts[0].body and drafts[0].kind == "ballot_opened"
    older = dict(event.data)
    del older["elector_member_ids"]  # an event from before the field: nobody to tell
    assert messages.ballot_opened(ev.BallotOpened.model_validate(older)) == []


@pytest.mark.parametrize("topic", ["proposal.events", "assignment.events", "evaluation.events"])
def test_every_event_of_the_producers_is_either_handled_or_listed_as_ignored(topic: str) -> None:
    known = set(subscriptions.handlers) | subscriptions.ignored
    for key in published(topic):
        assert key in known, key
    assert not set(subscriptions.handlers) & {(t, 1) for t in IGNORED}
