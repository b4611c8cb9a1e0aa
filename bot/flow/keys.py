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
MYDATA_MESSAGE_IDS = "mydata.message_ids"  # Telegram: message numbers kept for quick exit
DELETE_CONFIRM = "delete.confirm"
DELETE_DONE = "delete.done"
DELETE_NOTHING = "delete.nothing_kept"
DELETE_CANCELLED = "delete.cancelled"
MYDATA_GUARDED = "mydata.guarded"  # the answers wait for the code word
CODEWORD_OFFER = "codeword.offer"  # {min}
CODEWORD_SAVED = "codeword.saved"
CODEWORD_LENGTH = "codeword.length"  # {min} {max}
CODEWORD_ASK = "codeword.ask"
CODEWORD_WRONG = "codeword.wrong"  # {left}
CODEWORD_LOCKED = "codeword.locked"  # {wait}
CODEWORD_CANCEL = "codeword.cancel"
RESUME_NONE = "resume.none"
RESUME_DEMO = "resume.nothing_kept"
CRISIS_DANGER = "crisis.danger"
CRISIS_SELFHARM = "crisis.selfharm"
CRISIS_DANGER_OTHER = "crisis.danger_other"  # a parent or friend, about the one they help
CRISIS_SELFHARM_OTHER = "crisis.selfharm_other"
CRISIS_EMERGENCY = "crisis.emergency"  # {country} {number}
CRISIS_LINES = "crisis.lines"
CRISIS_PICK_COUNTRY = "crisis.pick_country"
CRISIS_CONTINUE = "crisis.continue"
CRISIS_HUMAN = "crisis.human"
CRISIS_EMERGENCY_NUMBERS = "crisis.emergency_numbers"  # {country} {numbers}
CRISIS_EMERGENCY_ITEM = "crisis.emergency_item"  # {service} {number}
EMERGENCY_FOR = {
    "police": "emergency.for.police",
    "ambulance": "emergency.for.ambulance",
    "fire": "emergency.for.fire",
    "ambulance_fire": "emergency.for.ambulance_fire",
    "all": "emergency.for.all",
}
CRISIS_DANGER_LINES = "crisis.danger_lines"
CRISIS_ANYWHERE = "crisis.anywhere"
CRISIS_NOW = "crisis.now"
CHECKIN = "checkin.question"
CHECKIN_DANGER = "checkin.danger"
CHECKIN_SELFHARM = "checkin.selfharm"
CHECKIN_OK = "checkin.ok"
CHECKIN_HANDOFF = "checkin.handoff"
SAFETY_REMINDER = "safety.reminder"  # {country} {number}
SAFETY_REMINDER_ANYWHERE = "safety.reminder_anywhere"
CRISIS_WORDS = {  # strong signals (crisis screen), then possible ones (a check-in question)
    "danger": "crisis.words.danger",
    "selfharm": "crisis.words.selfharm",
    "possible": "crisis.words.possible",
}
CRISIS_NOT = "crisis.words.not"  # phrases that are not a crisis ("dying to know")
CARD = "card"  # {name} {description} {contacts}
CARD_ALWAYS_OPEN = "card.always_open"
CARD_UNVERIFIED = "card.unverified"
CARD_SPEAKS = "card.speaks_language"  # the service lists the survivor's language
CARD_FOR_THEM = "card.for_them"  # to a helper: the person shown uses this service themself
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
RESULTS_START = "results.start.title"  # "Start here", over the one next step
RESULTS_MORE = "results.more"  # under the first screen: the topics below open with buttons
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
HANDOFF_TEAM_NAME = "handoff.team_name"
HANDOFF_SIGNATURE = "handoff.signature"  # {name} {team}: a staff member's chosen display name
HANDOFF_RELAY_FAILED = "handoff.relay_failed"

# The staff chat (bot/staff), in the bot's default locale.
STAFF_TOPIC = "staff.topic_name"  # {code}
STAFF_CARD_TITLE = "staff.card.title"  # {code}
STAFF_CARD_LANGUAGE = "staff.card.language"  # {language} {code}
STAFF_CARD_FLAGS = "staff.card.flags"  # {flags}
STAFF_FLAG = {
    "images_minor": "staff.flag.images_minor",
    "user_minor": "staff.flag.user_minor",
    "danger": "staff.flag.danger",
    "selfharm": "staff.flag.selfharm",
}
STAFF_CARD_ITEM = "staff.card.item"  # {question} {answer}
STAFF_CARD_TOLD_OPEN = "staff.card.told_open"
STAFF_CARD_TOLD_OFFLINE = "staff.card.told_offline"  # {when}
STAFF_CARD_HOW = "staff.card.how"  # {team}
STAFF_CARD_REOPENED = "staff.card.reopened"
STAFF_CLAIM = "staff.button.claim"
STAFF_CLOSE = "staff.button.close"
STAFF_CLAIMED = "staff.claimed"  # {name}
STAFF_CLAIMED_TOAST = "staff.claimed_toast"
STAFF_TAKEN = "staff.already_claimed"
STAFF_ALREADY_CLOSED = "staff.already_closed"
STAFF_NOT_STAFF = "staff.not_staff"
STAFF_UNKNOWN_CASE = "staff.unknown_case"
STAFF_CLAIM_FIRST = "staff.claim_first"
STAFF_NOT_YOURS = "staff.not_yours"
STAFF_NOT_YOURS_CLOSE = "staff.not_yours_close"
STAFF_CLOSED = "staff.closed"  # {name} {delay}
STAFF_SURVIVOR_ERASED = "staff.survivor_erased"  # {code}
STAFF_SURVIVOR_LEFT = "staff.survivor_left"  # {delay}
STAFF_BLOCKED = "staff.blocked"
STAFF_UNDELIVERED_BLOCKED = "staff.undelivered_blocked"
STAFF_WITHHELD = "staff.withheld"
STAFF_MEDIA_NOT_SENT = "staff.media_not_sent"
STAFF_EDIT_NOT_SENT = "staff.edit_not_sent"
STAFF_FROM_SURVIVOR = "staff.from_survivor"  # {text}
STAFF_TEAM_SAID = "staff.team_said"  # {text}
STAFF_CRISIS_WORDS = "staff.crisis_words"
STAFF_REANNOUNCE = "staff.reannounce"  # {code} {waited}
STAFF_CASES_TITLE = "staff.cases.title"
STAFF_CASES_NONE = "staff.cases.none"
STAFF_CASES_WAITING = "staff.cases.waiting"  # {code} {waited}
STAFF_CASES_CLAIMED = "staff.cases.claimed"  # {code} {since}
STAFF_NOTE_SAVED = "staff.note_saved"
STAFF_NOTE_EMPTY = "staff.note_empty"
STAFF_TOPIC_ONLY = "staff.topic_only"
STAFF_NAME_SET = "staff.name_set"  # {signature}
STAFF_NAME_CLEARED = "staff.name_cleared"  # {signature}
STAFF_NAME_TOO_LONG = "staff.name_too_long"  # {max}
STAFF_HELP = "staff.help"  # {team}
STAFF_ERROR = "staff.error"
STAFF_COMMAND_MENU = {
    name: f"staff.cmd.{name}" for name in ("cases", "note", "close", "name", "help")
}

ALL: frozenset[str] = frozenset(
    v if isinstance(v, str) else w
    for k, v in dict(globals()).items()
    if k.isupper() and k != "ALL"
    for w in ([v] if isinstance(v, str) else list(v.values()))
)
