"""Catalog keys the engine itself uses (flow files name the rest). `flows check` verifies them."""

from __future__ import annotations

PROGRESS = "common.progress"  # {n} {total}
SKIP = "common.skip"
DONE = "common.done"
CONTINUE = "common.continue"
YES_DELETE = "delete.yes"
NO_KEEP = "delete.no"
EXIT = "common.exit"
RESTART = "common.restart"
VERBATIM = "common.verbatim"  # "{text}": data shown as it is (language names)
OTHER_COUNTRY = "country.other"
STALE = "notice.stale"
CHOOSE = "notice.choose"  # typed text where a button is expected
EMPTY = "notice.empty"
TOO_LONG = "notice.too_long"  # {max}
UNKNOWN_COMMAND = "notice.unknown_command"
RESTARTED = "notice.restarted"  # the flow changed under a conversation in flight
FINISHED = "notice.finished"
MEDIA = "media.removed"
MEDIA_HANDOFF = "media.removed_handoff"
HELP = "help.body"
HELP_HUMAN = "help.human"
HELP_LANGUAGE = "help.language"
ABOUT = "about.body"
ABOUT_LOCALE = "about.locale"  # {name} {code}
ABOUT_SOURCE = "about.source"
ABOUT_UNREVIEWED = "about.unreviewed"
ABOUT_REVIEWED = "about.reviewed"
LANG_PICK = "lang.pick"
LANG_OFFER = "lang.offer"  # {name}
LANG_OFFER_YES = "lang.offer_yes"  # {name}
LANG_OFFER_NO = "lang.offer_no"
MYDATA_NONE = "mydata.nothing_kept"
MYDATA_INTRO = "mydata.intro"
MYDATA_WORKING = "mydata.working"  # {hours}
MYDATA_WORKING_EMPTY = "mydata.working_empty"  # {hours}
MYDATA_ITEM = "mydata.item"  # {question} {answer}
MYDATA_CASE = "mydata.case"  # {date}
MYDATA_NO_CASE = "mydata.no_case"
MYDATA_HANDOFF = "mydata.handoff"
MYDATA_HOW = "mydata.how_to_delete"
DELETE_CONFIRM = "delete.confirm"
DELETE_DONE = "delete.done"
DELETE_NOTHING = "delete.nothing_kept"
DELETE_CANCELLED = "delete.cancelled"
RESUME_NONE = "resume.none"
RESUME_DEMO = "resume.nothing_kept"
CRISIS_DANGER = "crisis.danger"
CRISIS_SELFHARM = "crisis.selfharm"
CRISIS_EMERGENCY = "crisis.emergency"  # {country} {number}
CRISIS_LINES = "crisis.lines"
CRISIS_INTERNATIONAL = "crisis.international"
CRISIS_COUNTRY_LINE = "crisis.country_line"  # {country} {number}
CRISIS_PICK_COUNTRY = "crisis.pick_country"
CRISIS_CONTINUE = "crisis.continue"
CRISIS_HUMAN = "crisis.human"
CRISIS_WORDS = {"danger": "crisis.words.danger", "selfharm": "crisis.words.selfharm"}
CARD = "card"  # {name} {description} {contacts}
CARD_ALWAYS_OPEN = "card.always_open"
CARD_UNVERIFIED = "card.unverified"
CONTACT = {
    "phone": "contact.phone",
    "sms": "contact.sms",
    "sms_keyword": "contact.sms_keyword",  # {keyword} {value}
    "web": "contact.web",
    "email": "contact.email",
    "chat": "contact.chat",
    "app": "contact.app",
}
RESULTS_NO_COUNTRY = "results.no_country"
HANDOFF_NONE = "handoff.none"
HANDOFF_CONNECTING = "handoff.connecting"
HANDOFF_CLOSED = "handoff.closed"
HANDOFF_ALREADY = "handoff.already"

# Used by the channels rather than the engine.
SLOW_DOWN = "notice.slow_down"
UNAVAILABLE = "notice.unavailable"
GROUP = "notice.group"
EDITED = "notice.edited"
COMMAND_MENU = {
    name: f"cmd.{name}"
    for name in (
        "start",
        "restart",
        "help",
        "language",
        "mydata",
        "delete",
        "human",
        "resume",
        "about",
        "exit",
    )
}
HANDOFF_QUEUED = "handoff.queued"  # {ahead}
HANDOFF_QUEUED_FIRST = "handoff.queued_first"
HANDOFF_OFFLINE = "handoff.offline"  # {when}
HANDOFF_JOINED = "handoff.joined"
HANDOFF_FROM_TEAM = "handoff.from_team"  # {team} {text}
HANDOFF_ENDED = "handoff.ended"
HANDOFF_TEAM_NAME = "handoff.team_name"

ALL: frozenset[str] = frozenset(
    v if isinstance(v, str) else w
    for k, v in dict(globals()).items()
    if k.isupper() and k != "ALL"
    for w in ([v] if isinstance(v, str) else list(v.values()))
)
