"""Conversation metrics of SMS sessions, computed from a streamed transcript in one pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smscli.models import Message, Session

# What a person writes: a Text, or a link (a photo, a help page). Typing, joins, leaves,
# notices and transcript saves are events, not messages anyone answers.
CONVERSATION_TYPES = frozenset({"Text", "PushUrl"})
CUSTOMER_TYPES = frozenset({"Customer", "Client"})  # GWS agent APIs say Customer, chat Client
ROLE_ORDER = ("Customer", "Agent", "Supervisor", "External", "System")
NO_SENDER = "System"  # a message without a ``from`` (TranscriptSaveDone, say)

IsoFormat = Callable[[datetime | None], str]


def sender_role(message: Message) -> str:
    """Customer, Agent, Supervisor (an Agent seen only by supervisors), External, System."""
    sender = message.sender
    if sender is None:
        return NO_SENDER
    if sender.type in CUSTOMER_TYPES:
        return "Customer"
    if sender.type == "Agent":
        return "Supervisor" if sender.visibility == "Supervisors" else "Agent"
    return sender.type or "?"


def is_customer_message(message: Message) -> bool:
    """A Text or PushUrl from a Customer participant."""
    return (message.type in CONVERSATION_TYPES and message.sender is not None
            and message.sender.type in CUSTOMER_TYPES)


def is_agent_message(message: Message) -> bool:
    """A Text or PushUrl from an Agent participant that the customer saw (visibility All)."""
    return (message.type in CONVERSATION_TYPES and message.sender is not None
            and message.sender.type == "Agent" and message.visibility in ("", "All"))


def _seconds(start: datetime, end: datetime) -> float:
    # Messages from two servers can disagree by a little; a reply never comes before its question.
    try:
        return max(0.0, (end - start).total_seconds())
    except OverflowError:
        return 0.0


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="milliseconds")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _median(values: list[float]) -> float | None:
    """The middle value; with an even count, the mean of the two middle ones."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _longest(values: Iterable[float]) -> float | None:
    return max(values, default=None)


def _ordered_roles(counts: Counter[str]) -> dict[str, int]:
    known = {role: counts[role] for role in ROLE_ORDER if counts[role]}
    return known | {role: counts[role] for role in sorted(counts) if role not in known}


@dataclass(slots=True)
class ParticipantCount:
    """The messages one participant (keyed by participantId, as GWS advises) sent."""

    participant_id: str
    type: str
    role: str
    nickname: str
    messages: int = 0
    by_type: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {"participantId": self.participant_id, "type": self.type, "role": self.role,
                "nickname": self.nickname, "messages": self.messages,
                "byType": dict(sorted(self.by_type.items()))}


@dataclass(slots=True)
class SessionStats:
    """The metrics of one session; times in seconds, None when they cannot be measured."""

    session_id: str
    state: str
    customers: list[str]
    messages: int
    untimed: int
    by_type: dict[str, int]
    by_role: dict[str, int]
    participants: list[ParticipantCount]
    customer_messages: int
    agent_messages: int
    replies: int
    first_reply: float | None
    response_times: list[float] = field(repr=False)  # every measured reply, in order
    longest_wait: float | None
    unanswered: bool
    started: datetime | None
    ended: datetime | None

    @property
    def median_response(self) -> float | None:
        return _median(self.response_times)

    @property
    def longest_response(self) -> float | None:
        return _longest(self.response_times)

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return _seconds(self.started, self.ended)

    def to_dict(self, iso: IsoFormat = _iso) -> dict[str, Any]:
        return {
            "id": self.session_id,
            "state": self.state,
            "customers": list(self.customers),
            "started": iso(self.started) or None,
            "ended": iso(self.ended) or None,
            "durationSeconds": _round(self.duration),
            "messages": self.messages,
            "untimed": self.untimed,
            "byType": dict(self.by_type),
            "byRole": dict(self.by_role),
            "participants": [p.to_dict() for p in self.participants],
            "customerMessages": self.customer_messages,
            "agentMessages": self.agent_messages,
            "replies": self.replies,
            "measuredReplies": len(self.response_times),
            "firstReplySeconds": _round(self.first_reply),
            "medianResponseSeconds": _round(self.median_response),
            "longestResponseSeconds": _round(self.longest_response),
            "longestWaitSeconds": _round(self.longest_wait),
            "unanswered": self.unanswered,
        }


class SessionStatsBuilder:
    """Takes a session's messages one at a time, in transcript order; keeps no message.

    Memory grows only with the number of participants, message types and measured replies.
    """

    def __init__(self, session: Any = None) -> None:
        self.session = Session.from_raw(session if session is not None else {})
        self.messages = 0
        self.untimed = 0
        self.by_type: Counter[str] = Counter()
        self.by_role: Counter[str] = Counter()
        self.participants: dict[tuple[str, str, str], ParticipantCount] = {}
        self.customer_messages = 0
        self.agent_messages = 0
        self.replies = 0
        self.response_times: list[float] = []
        self.first_reply: float | None = None
        self.longest_wait: float | None = None
        self.waiting = False  # a customer message has had no agent reply yet
        self.wait_start: datetime | None = None  # when it began, if that message had a time
        self.answered_once = False
        self.started: datetime | None = None
        self.ended: datetime | None = None

    def add(self, raw: Any) -> None:
        message = Message.from_raw(raw)
        role = sender_role(message)
        self.messages += 1
        self.by_type[message.type] += 1
        self.by_role[role] += 1
        self._count_participant(message, role)
        moment = message.time
        if moment is None:
            self.untimed += 1
        else:
            self._extend(moment)
        if is_customer_message(message):
            self.customer_messages += 1
            if not self.waiting:
                self.waiting, self.wait_start = True, moment
        elif is_agent_message(message):
            self.agent_messages += 1
            if self.waiting:
                self._reply(moment)

    def _count_participant(self, message: Message, role: str) -> None:
        sender = message.sender
        key = ((sender.participant_id, sender.type, sender.nickname) if sender is not None
               else ("", NO_SENDER, ""))
        # Without an id the nickname tells participants apart; with one, the id does.
        if key[0]:
            key = (key[0], "", "")
        entry = self.participants.get(key)
        if entry is None:
            entry = self.participants[key] = ParticipantCount(
                participant_id=sender.participant_id if sender else "",
                type=sender.type if sender else "", role=role,
                nickname=sender.nickname if sender else "")
        entry.messages += 1
        entry.by_type[message.type] += 1

    def _extend(self, moment: datetime) -> None:
        if self.started is None or moment < self.started:
            self.started = moment
        if self.ended is None or moment > self.ended:
            self.ended = moment

    def _reply(self, moment: datetime | None) -> None:
        self.replies += 1
        measured = None
        if self.wait_start is not None and moment is not None:
            measured = _seconds(self.wait_start, moment)
            self.response_times.append(measured)
            self._note_wait(measured)
        if not self.answered_once:
            self.first_reply = measured
            self.answered_once = True
        self.waiting, self.wait_start = False, None

    def _note_wait(self, seconds: float) -> None:
        if self.longest_wait is None or seconds > self.longest_wait:
            self.longest_wait = seconds

    def _customers(self) -> list[str]:
        """The session's customers; a completed session lists none, so then the transcript's."""
        listed = [p.nickname for p in self.session.participants if p.type in CUSTOMER_TYPES]
        return listed or [p.nickname for p in self.participants.values() if p.role == "Customer"]

    def finish(self) -> SessionStats:
        if self.waiting and self.wait_start is not None and self.ended is not None:
            # An unanswered customer waited until the transcript's last moment.
            self._note_wait(_seconds(self.wait_start, self.ended))
        participants = sorted(
            self.participants.values(),
            key=lambda p: (ROLE_ORDER.index(p.role) if p.role in ROLE_ORDER else len(ROLE_ORDER),
                           p.nickname, p.participant_id))
        return SessionStats(
            session_id=self.session.id,
            state=self.session.state,
            customers=self._customers(),
            messages=self.messages,
            untimed=self.untimed,
            by_type=dict(sorted(self.by_type.items())),
            by_role=_ordered_roles(self.by_role),
            participants=participants,
            customer_messages=self.customer_messages,
            agent_messages=self.agent_messages,
            replies=self.replies,
            first_reply=self.first_reply,
            response_times=self.response_times,
            longest_wait=self.longest_wait,
            unanswered=self.waiting,
            started=self.started,
            ended=self.ended,
        )


def session_stats(session: Any, messages: Iterable[Any]) -> SessionStats:
    """The metrics of one session from its GWS object and its messages (raw dicts, streamed)."""
    builder = SessionStatsBuilder(session)
    for raw in messages:
        builder.add(raw)
    return builder.finish()


@dataclass(slots=True)
class StatsSummary:
    """Several sessions together: counts summed, times as medians and maxima."""

    sessions: int
    messages: int
    untimed: int
    by_type: dict[str, int]
    by_role: dict[str, int]
    customer_messages: int
    agent_messages: int
    replies: int
    measured_replies: int
    unanswered: int
    median_first_reply: float | None
    longest_first_reply: float | None
    median_response: float | None
    longest_response: float | None
    median_longest_wait: float | None
    longest_wait: float | None
    total_duration: float | None
    median_duration: float | None
    longest_duration: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "messages": self.messages,
            "untimed": self.untimed,
            "byType": dict(self.by_type),
            "byRole": dict(self.by_role),
            "customerMessages": self.customer_messages,
            "agentMessages": self.agent_messages,
            "replies": self.replies,
            "measuredReplies": self.measured_replies,
            "unanswered": self.unanswered,
            "medianFirstReplySeconds": _round(self.median_first_reply),
            "longestFirstReplySeconds": _round(self.longest_first_reply),
            "medianResponseSeconds": _round(self.median_response),
            "longestResponseSeconds": _round(self.longest_response),
            "medianLongestWaitSeconds": _round(self.median_longest_wait),
            "longestWaitSeconds": _round(self.longest_wait),
            "totalDurationSeconds": _round(self.total_duration),
            "medianDurationSeconds": _round(self.median_duration),
            "longestDurationSeconds": _round(self.longest_duration),
        }


def summarize(all_stats: Iterable[SessionStats]) -> StatsSummary:
    """Totals and medians over sessions; a session without a measured value is left out of it."""
    items = list(all_stats)
    by_type: Counter[str] = Counter()
    by_role: Counter[str] = Counter()
    responses: list[float] = []
    for item in items:
        by_type.update(item.by_type)
        by_role.update(item.by_role)
        responses.extend(item.response_times)
    firsts = [s.first_reply for s in items if s.first_reply is not None]
    waits = [s.longest_wait for s in items if s.longest_wait is not None]
    durations = [d for d in (s.duration for s in items) if d is not None]
    return StatsSummary(
        sessions=len(items),
        messages=sum(s.messages for s in items),
        untimed=sum(s.untimed for s in items),
        by_type=dict(sorted(by_type.items())),
        by_role=_ordered_roles(by_role),
        customer_messages=sum(s.customer_messages for s in items),
        agent_messages=sum(s.agent_messages for s in items),
        replies=sum(s.replies for s in items),
        measured_replies=len(responses),
        unanswered=sum(1 for s in items if s.unanswered),
        median_first_reply=_median(firsts),
        longest_first_reply=_longest(firsts),
        median_response=_median(responses),
        longest_response=_longest(responses),
        median_longest_wait=_median(waits),
        longest_wait=_longest(waits),
        total_duration=sum(durations) if durations else None,
        median_duration=_median(durations),
        longest_duration=_longest(durations),
    )
