"""Text formatting for the fake Bot API: HTML / MarkdownV2 parsing and entity helpers.

The HTML parser follows the algorithm of TDLib's ``parse_html`` (the code that the real
Bot API server runs), including its error texts and byte offsets, so a bot that builds
bad HTML gets the same ``can't parse entities: ...`` description from the fake as from
Telegram.  Offsets in errors are *byte* offsets into the UTF-8 text; entity offsets and
lengths are in UTF-16 code units, like the real API.

One deliberate deviation, on by default (``strict_ampersand=True``): the real server
keeps an ``&`` that does not start a known entity as a literal character; the fake
rejects it, because a bot that forgets to escape user input must be caught in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EntityParseError",
    "auto_entities",
    "parse_html",
    "parse_markdown_v2",
    "parse_text",
    "utf16_len",
]

SUPPORTED_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_SPACE = b" \t\r\n\f\v"


class EntityParseError(ValueError):
    """Raised with the text that follows ``Bad Request: can't parse entities: ``."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram's entity offsets count)."""
    return len(text.encode("utf-16-le")) // 2


def _is_space(c: int) -> bool:
    return c in _SPACE


def _is_alnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """TDLib's decode_html_entity: returns (code point or 0, new position)."""
    n = len(data)
    if pos >= n or data[pos] != 0x26:  # '&'
        return 0, pos
    end = pos + 1
    res = 0
    if end < n and data[end] == 0x23:  # '#'
        end += 1
        if end < n and data[end] == 0x78:  # 'x'
            end += 1
            while end < n and chr(data[end]) in "0123456789abcdefABCDEF":
                res = res * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < n and 48 <= data[end] <= 57:
                res = res * 10 + data[end] - 48
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and (65 <= data[end] <= 90 or 97 <= data[end] <= 122):
            end += 1
        name = data[pos + 1 : end]
        table = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
        if name not in table:
            return 0, pos
        res = table[name]
    if end < n and data[end] == 0x3B:  # ';'
        end += 1
    return res, end


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    result_pos: int  # position in the decoded result (characters)


_URL_RE = re.compile(r"^(?:(?:https?|tg|ton)://\S+|[a-z0-9.-]+\.[a-z]{2,}(?:/\S*)?)$", re.I)


def _check_url(url: str) -> str | None:
    url = url.strip()
    if not url or not _URL_RE.match(url):
        return None
    if "://" not in url:
        url = "http://" + url
    return url


def parse_html(
    text: str,
    *,
    strict_ampersand: bool = True,
    known_users: dict[int, dict[str, Any]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into (plain text, entities); raise EntityParseError."""
    data = text.encode("utf-8")
    n = len(data)
    out = bytearray()
    utf16 = 0
    nested: list[_Open] = []
    entities: list[dict[str, Any]] = []

    def result_str_len() -> int:
        return len(out.decode("utf-8", "replace"))

    def at(k: int) -> int:
        return data[k] if k < n else 0

    i = 0
    while i < n:
        c = data[i]
        if c == 0x26:  # '&'
            ch, new_i = _decode_html_entity(data, i)
            if ch:
                utf16 += 2 if ch > 0xFFFF else 1
                out += chr(ch).encode("utf-8")
                i = new_i
                continue
            if strict_ampersand:
                raise EntityParseError(
                    f'Unescaped "&" at byte offset {i} (the fake Bot API is strict here; '
                    "escape it as &amp;)"
                )
        if c != 0x3C:  # '<'
            if (c & 0xC0) != 0x80:  # first code unit of a UTF-8 character
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:  # not '/': a start tag
            while i < n and not _is_space(data[i]) and data[i] != 0x3E:
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in SUPPORTED_HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != 0x3E:
                while i < n and _is_space(data[i]):
                    i += 1
                if at(i) == 0x3E:
                    break
                attr_begin = i
                while i < n and not _is_space(data[i]) and data[i] != 0x3D:
                    i += 1
                attr_name = data[attr_begin:i].decode("utf-8", "replace")
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while i < n and _is_space(data[i]):
                    i += 1
                if at(i) != 0x3D:
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while i < n and _is_space(data[i]):
                    i += 1
                if i >= n:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
                value = bytearray()
                if data[i] not in (0x27, 0x22):
                    tok_begin = i
                    while i < n and (_is_alnum(data[i]) or data[i] in (0x2E, 0x2D)):
                        i += 1
                    value += data[tok_begin:i].lower()
                    if i < n and not _is_space(data[i]) and data[i] != 0x3E:
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {tok_begin}"
                        )
                else:
                    end_char = data[i]
                    i += 1
                    while i < n and data[i] != end_char:
                        if data[i] == 0x26:
                            ch, new_i = _decode_html_entity(data, i)
                            if ch:
                                value += chr(ch).encode("utf-8")
                                i = new_i
                                continue
                        value.append(data[i])
                        i += 1
                    if at(i) == end_char:
                        i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                val = value.decode("utf-8", "replace")
                if tag == "a" and attr_name == "href":
                    argument = val
                elif tag == "code" and attr_name == "class" and val.startswith("language-"):
                    argument = val[9:]
                elif tag == "span" and attr_name == "class" and val.startswith("tg-"):
                    argument = val[3:]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = val
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append(_Open(tag, argument, utf16, result_str_len()))
            i += 1  # skip '>'
        else:  # an end tag
            if not nested:
                raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
            while i < n and not _is_space(data[i]) and data[i] != 0x3E:
                i += 1
            end_tag = data[begin + 2 : i].decode("utf-8", "replace")
            while i < n and _is_space(data[i]):
                i += 1
            if at(i) != 0x3E:
                raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
            top = nested[-1]
            if end_tag and end_tag != top.tag:
                raise EntityParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                    f'found "</{end_tag}>"'
                )
            i += 1  # skip '>'
            if utf16 > top.utf16_offset:
                offset, length = top.utf16_offset, utf16 - top.utf16_offset
                entity = _html_entity(top, offset, length, out, entities, known_users)
                if entity is not None:
                    entities.append(entity)
            nested.pop()
    if nested:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{nested[-1].tag}"'
        )
    plain = out.decode("utf-8", "replace")
    strip_code_language(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def _html_entity(
    top: _Open,
    offset: int,
    length: int,
    out: bytearray,
    entities: list[dict[str, Any]],
    known_users: dict[int, dict[str, Any]] | None,
) -> dict[str, Any] | None:
    simple = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
        "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
        "u": "underline", "ins": "underline", "tg-spoiler": "spoiler", "span": "spoiler",
    }  # fmt: skip
    tag = top.tag
    if tag in simple:
        return {"type": simple[tag], "offset": offset, "length": length}
    if tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    if tag == "tg-emoji":
        if not top.argument.isdigit():
            return None
        return {
            "type": "custom_emoji", "offset": offset, "length": length,
            "custom_emoji_id": top.argument,
        }  # fmt: skip
    if tag == "a":
        url = top.argument or out.decode("utf-8", "replace")[top.result_pos :]
        m = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
        if m:
            user_id = int(m.group(1))
            user = (known_users or {}).get(user_id)
            if user is None:
                return None
            return {"type": "text_mention", "offset": offset, "length": length, "user": user}
        checked = _check_url(url)
        if checked is None:
            return None
        return {"type": "text_link", "offset": offset, "length": length, "url": checked}
    if tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
            return None
        return {"type": "pre", "offset": offset, "length": length}
    if tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and top.argument
        ):
            last["language"] = top.argument
            return None
        entity = {"type": "code", "offset": offset, "length": length}
        if top.argument:
            entity["language"] = top.argument  # dropped below unless a <pre> wraps it
        return entity
    return None


# --------------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A compact MarkdownV2 parser with Telegram's error texts for the common mistakes."""
    out: list[str] = []
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 offset, byte offset)
    data_len = len(text)
    i = 0

    def byte_off(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    names = {
        "*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler",
    }  # fmt: skip
    pretty = {
        "*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler",
        "[": "TextUrl", "`": "Code", "```": "Pre",
    }  # fmt: skip

    def emit(s: str) -> None:
        nonlocal utf16
        out.append(s)
        utf16 += utf16_len(s)

    while i < data_len:
        c = text[i]
        if c == "\\":
            if i + 1 < data_len and ord(text[i + 1]) <= 126:
                emit(text[i + 1])
                i += 2
                continue
            emit(c)
            i += 1
            continue
        if c == "`":
            if text.startswith("```", i):
                end = text.find("```", i + 3)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of Pre entity at byte offset {byte_off(i)}"
                    )
                body = text[i + 3 : end]
                language = ""
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first and " " not in first:
                        language, body = first, rest
                body = re.sub(r"\\([`\\])", r"\1", body)
                start = utf16
                emit(body)
                if utf16 > start:
                    ent: dict[str, Any] = {"type": "pre", "offset": start, "length": utf16 - start}
                    if language:
                        ent["language"] = language
                    entities.append(ent)
                i = end + 3
                continue
            end = i + 1
            while end < data_len and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            if end >= data_len:
                raise EntityParseError(
                    f"Can't find end of Code entity at byte offset {byte_off(i)}"
                )
            body = re.sub(r"\\([`\\])", r"\1", text[i + 1 : end])
            start = utf16
            emit(body)
            if utf16 > start:
                entities.append({"type": "code", "offset": start, "length": utf16 - start})
            i = end + 1
            continue
        marker = None
        for m in ("||", "__", "*", "_", "~"):
            if text.startswith(m, i):
                marker = m
                break
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                if utf16 > start:
                    entities.append(
                        {"type": names[marker], "offset": start, "length": utf16 - start}
                    )
            else:
                stack.append((marker, utf16, byte_off(i)))
            i += len(marker)
            continue
        if c == "[":
            stack.append(("[", utf16, byte_off(i)))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _, start, boff = stack.pop()
            if i + 1 >= data_len or text[i + 1] != "(":
                raise EntityParseError(f"Can't find end of TextUrl entity at byte offset {boff}")
            end = text.find(")", i + 2)
            if end < 0:
                raise EntityParseError(f"Can't find end of TextUrl entity at byte offset {boff}")
            url = _check_url(text[i + 2 : end].replace("\\)", ")").replace("\\\\", "\\"))
            if url and utf16 > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": utf16 - start, "url": url}
                )
            i = end + 1
            continue
        if c in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(c)
        i += 1
    if stack:
        marker, _, boff = stack[-1]
        raise EntityParseError(
            f"Can't find end of {pretty.get(marker, 'the')} entity at byte offset {boff}"
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown_legacy(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy ``Markdown``: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    utf16 = 0
    i = 0
    n = len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        c = text[i]
        if c in "*_`[":
            start_byte = len(text[:i].encode("utf-8"))
            if c == "[":
                close = text.find("](", i + 1)
                end = text.find(")", close + 2) if close >= 0 else -1
                if close < 0 or end < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {start_byte}"
                    )
                label = text[i + 1 : close]
                url = _check_url(text[close + 2 : end])
                start = utf16
                out.append(label)
                utf16 += utf16_len(label)
                if url and label:
                    entities.append(
                        {"type": "text_link", "offset": start, "length": utf16 - start, "url": url}
                    )
                i = end + 1
                continue
            if c == "`" and text.startswith("```", i):
                end = text.find("```", i + 3)
                if end < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset {start_byte}"
                    )
                body = text[i + 3 : end]
                start = utf16
                out.append(body)
                utf16 += utf16_len(body)
                if body:
                    entities.append({"type": "pre", "offset": start, "length": utf16 - start})
                i = end + 3
                continue
            end = text.find(c, i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset {start_byte}"
                )
            body = text[i + 1 : end]
            start = utf16
            out.append(body)
            utf16 += utf16_len(body)
            if body:
                entities.append({"type": kinds[c], "offset": start, "length": utf16 - start})
            i = end + 1
            continue
        out.append(c)
        utf16 += utf16_len(c)
        i += 1
    return "".join(out), entities


# --------------------------------------------------------------------------- auto entities

_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("url", re.compile(r"(?<![\w@])(?:https?://)?(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?::\d+)?(?:/[^\s]*)?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\W\d]\w*")),
]  # fmt: skip


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram detects by itself (bot_command, url, email, mention, hashtag)."""
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _AUTO_PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind == "url" and "." not in m.group(0):
                continue
            taken.append((s, e))
            found.append(
                {"type": kind, "offset": utf16_len(text[:s]), "length": utf16_len(m.group(0))}
            )
    found.sort(key=lambda x: (x["offset"], -x["length"]))
    return found


def parse_text(
    text: str,
    parse_mode: str | None,
    *,
    strict_ampersand: bool = True,
    known_users: dict[int, dict[str, Any]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Dispatch on parse_mode (case-insensitive).  Raises EntityParseError or ValueError."""
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text, strict_ampersand=strict_ampersand, known_users=known_users)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown_legacy(text)
    raise ValueError("unsupported parse_mode")


def strip_code_language(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TDLib drops the language of an inline ``code`` entity not wrapped in ``pre``."""
    for e in entities:
        if e["type"] == "code":
            e.pop("language", None)
    return entities
