"""Every sentence Photobot says to people. Short, plain, one emoji at most, next step clear."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

from bot.constants import MAX_INPUT_IMAGES, PROMPT_MAX_CHARS
from bot.errors import FailureKind

START = (
    "Hi! I turn your photos into new images with AI.\n\n"
    f"Send me a photo (or an album of up to {MAX_INPUT_IMAGES}) with a caption saying what "
    "to change, for example: “make it a watercolor painting”.\n"
    "No caption? I'll offer a few styles to pick from.\n\n"
    "/help shows this again."
)
HELP = START

WORKING = "Working on it…"
GENERATING = "Generating your image. This usually takes under a minute."
DONE = "Done. Send another photo any time."  # the result's caption
PICK_STYLE = "Pick a style, or type what you'd like me to do with this photo."
PHOTO_EXPIRED = "That photo is no longer waiting for a prompt. Send it again."
SEND_PHOTO_FIRST = "Send me a photo first, then tell me what to do with it."
STYLE_CHOSEN = "Style: {label}"

NOT_AN_IMAGE = "That file isn't an image. Send a photo, or a JPEG, PNG or WebP file."
UNSUPPORTED_FORMAT = (
    "I can't use {kind} images. Send it as a photo, or as a JPEG, PNG or WebP file."
)
TOO_BIG_FOR_TELEGRAM = (
    "That file is over 20 MB, the most Telegram lets bots download. "
    "Send a smaller file, or send it as a photo."
)
TOO_BIG_FOR_MODEL = (
    "That image is over 10 MB, the most the image model accepts. "
    "Send it as a photo instead (Telegram shrinks it)."
)
EMPTY_PROMPT = "The prompt is empty. Describe the change you want, e.g. “turn it into a sketch”."
PROMPT_TOO_LONG = f"That prompt is too long. Keep it under {PROMPT_MAX_CHARS} characters."
TOO_MANY_IN_FLIGHT = "You already have images in progress. Wait for one to finish, then send more."
HOURLY_CAP = "You've reached this hour's limit of images. Please try again later."
DOWNLOAD_FAILED = "I couldn't download your photo from Telegram. Please send it again."
TOO_MANY_PHOTOS = f"I can use up to {MAX_INPUT_IMAGES} photos at once. Send a smaller album."
TOO_FAST = "You're sending faster than I can keep up. Wait a few seconds, then send again."
EDIT_IGNORED = "Edits don't start a new image. Send the photo again with the new caption."

SETTINGS = "Your settings. Tap one to change it; new jobs use them."
SETTING_SAVED = "Saved."
SETTINGS_NOT_YOURS = "These are someone else's settings. Send /settings for your own."
SETTINGS_UNKNOWN = "That option no longer exists. Send /settings again."
BACK = "Back"

STATS_REFUSED = "Sorry, /stats is for the bot's admins."
STATS_SENT_PRIVATELY = "I've sent you the figures in a private chat."
STATS_ASK_PRIVATELY = "Ask me for /stats in a private chat: the figures are for admins only."

FAILURE_BY_KIND: dict[str, str] = {
    FailureKind.MISCONFIGURED: "The service is misconfigured right now. The admins have been told.",
    FailureKind.NO_CREDITS: "Image generation is temporarily unavailable. Please try again later.",
    FailureKind.REJECTED: "The image service refused this request: {reason}\n"
    "Try a different photo or prompt.",
    FailureKind.BUSY: "The service is busy. Try again in a minute.",
    FailureKind.MAINTENANCE: "The image service is under maintenance. Try again later.",
    FailureKind.FAILED: "Generation failed. Please send your photo again to retry.",
    FailureKind.TIMEOUT: "This is taking too long, so I've stopped waiting. Please try again.",
    FailureKind.INPUT: "I couldn't read that image. Send a JPEG, PNG or WebP photo.",
    FailureKind.DELIVERY: "Your image is ready but I couldn't fetch it. Please try again.",
    FailureKind.BAD_RESULT: "The image service sent back something that isn't a usable image. "
    "Please try again.",
}
# Sent after the results that did go out, when others could not be.
SOME_RESULTS_MISSING = (
    "{missing} of the {total} images couldn't be fetched. Send your photo again to retry."
)
REJECTED_NO_REASON = "it didn't pass the content checks"
MAX_REASON_CHARS = 300

ADMIN_ALERT = "Photobot alert: {what}. Provider said: {reason}"


def failure_text(kind: str, reason: str = "") -> str:
    """The sentence a user sees for a failed job; only REJECTED shows the provider's reason."""
    template = FAILURE_BY_KIND.get(kind, FAILURE_BY_KIND[FailureKind.FAILED])
    return template.format(reason=clean_reason(reason) or REJECTED_NO_REASON)


def some_results_missing(missing: int, total: int) -> str:
    return SOME_RESULTS_MISSING.format(missing=missing, total=total)


def clean_reason(reason: str) -> str:
    """A provider's reason as safe plain text: printable characters only, no links, domains,
    e-mail addresses or @handles, at most MAX_REASON_CHARS."""
    text = "".join(_printable_chars(_TERMINAL_ESCAPES.sub("", reason)))
    text = _LINKISH.sub(" ", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1].rstrip() + "…"
    return text


# URLs with a scheme, www., e-mail addresses, @handles, t.me/… and bare domains such as
# example.com/path: a provider's reason must not become a link or a handle in a user's chat.
_LINKISH = re.compile(
    r"""(?ix)
    [a-z][a-z0-9+.-]*://\S*            # scheme://anything
    | \S+@\S+                           # e-mail addresses
    | @\w+                              # handles
    | (?:[a-z0-9-]+\.)+[a-z]{2,}\b\S*     # bare domains, t.me/x, www.x.y/z
    """
)
_TERMINAL_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")
_MAX_COMBINING_RUN = 2


def _printable_chars(text: str) -> Iterator[str]:
    """Drop control, format (bidi overrides, zero-width), private-use and unassigned
    characters, and long runs of combining marks; line and paragraph breaks become spaces."""
    run = 0
    for char in text:
        category = unicodedata.category(char)
        if category in ("Zl", "Zp") or char in "\n\r\t":
            yield " "
        elif category[0] == "C":
            continue
        elif category[0] == "M":
            run += 1
            if run <= _MAX_COMBINING_RUN:
                yield char
            continue
        else:
            yield char
        run = 0


def stats_text(
    *,
    users: int,
    jobs_today: int,
    jobs_total: int,
    succeeded: int,
    failed: int,
    in_progress: int,
    mean_s: float | None,
    p95_s: float | None,
    balances: Mapping[str, float | None],
) -> str:
    def secs(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f} s"

    return "\n".join(
        [
            "Photobot stats",
            f"Users: {users}",
            f"Jobs today: {jobs_today}  (total {jobs_total})",
            f"Succeeded: {succeeded}  Failed: {failed}  In progress: {in_progress}",
            f"Time to result: mean {secs(mean_s)}, p95 {secs(p95_s)}",
            *(f"{name.capitalize()} balance: {_amount(value)}" for name, value in balances.items()),
        ]
    )


def _amount(value: float | None) -> str:
    if value is None:
        return "unavailable"
    return f"{value:g}"


SOMETHING_WRONG = "Something went wrong on my side. Please try again in a moment."
OTHER_MESSAGE = "I work with photos. Send me one with a caption saying what to change."


# --- Results by kind: videos, tracks, albums and links (bot/jobs/results.py and friends) ------
# Keyed by what a job makes (MediaKind values); image jobs keep the sentences above.

AUDIO_PERFORMER = "Photobot"  # shown beside a track's title in Telegram's music player
# A result over Telegram's 50 MB upload limit, stored by Photobot instead.
RESULT_LINK = (
    "Done. This file is {size_mb} MB, more than Telegram lets me send (50 MB).\n"
    "Download it here until {until}:\n{url}"
)
DELIVERY_FAILED_BY_OUTPUT = {
    "video": "Your video is ready but I couldn't fetch it. Please try again.",
    "audio": "Your music is ready but I couldn't fetch it. Please try again.",
}
BAD_RESULT_BY_OUTPUT = {
    "video": "The video service sent back something that isn't a usable video. Please try again.",
    "audio": "The music service sent back something that isn't a usable track. Please try again.",
}
RESULTS_MISSING_BY_OUTPUT = {
    "video": "{missing} of the {total} videos couldn't be fetched. Please try again.",
    "audio": "{missing} of the {total} tracks couldn't be fetched. Please try again.",
}


def result_link(size_mb: int, until: str, url: str) -> str:
    """The message that carries a link instead of the file; `until` is a plain UTC time."""
    return RESULT_LINK.format(size_mb=size_mb, until=until, url=url)


def delivery_failure_text(kind: FailureKind, output: str) -> str:
    """A failure delivery found itself (nothing fetched, nothing usable), in the words of
    what the job makes."""
    by_output = {
        FailureKind.DELIVERY: DELIVERY_FAILED_BY_OUTPUT,
        FailureKind.BAD_RESULT: BAD_RESULT_BY_OUTPUT,
    }.get(kind, {})
    return by_output.get(output) or failure_text(kind)


def results_missing(missing: int, total: int, output: str) -> str:
    """After the results that did go out, when others could not."""
    template = RESULTS_MISSING_BY_OUTPUT.get(output)
    if template is None:
        return some_results_missing(missing, total)
    return template.format(missing=missing, total=total)
