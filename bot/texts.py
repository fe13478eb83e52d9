"""Every sentence Photobot says to people, named: each is a `Message` (or `Plural`) in English,
the source language, written in the reader's language when called (bot/locales/). Short, plain,
one emoji at most, the next step clear."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from bot.constants import PROMPT_MAX_CHARS
from bot.errors import FailureKind, ProviderError
from bot.locales import Message, Plural, day_and_time, number, number_fixed
from bot.media.kinds import MediaKind
from bot.models.limits import Breach, Problem
from bot.models.spec import Capability

START = Message(
    "Hi! I make images, videos and music with AI.\n\n"
    "Send me a photo (or an album) with a caption saying what to change, "
    "for example: “make it a watercolor painting”. No caption? I'll offer styles. "
    "Or just type what you'd like to see.\n\n"
    "/imagine <description> - an image from words\n"
    "/edit <instruction> - as a photo's caption, or in reply to a photo\n"
    "/video <description> - a short video; as a photo's caption, it animates the photo\n"
    "/sketch <description> - an image from words, then a video of that image\n"
    "/dance - make a person in a photo move like a video\n"
    "/animate - bring a still to life with a driving video\n"
    "/music <description> - a song; /music alone to write lyrics, style and title\n"
    "/jobs - what I'm still making for you\n"
    "/settings - aspect ratio, resolution, video engine and quality, music model, images as "
    "files\n"
    "/language - English or Bahasa Indonesia\n"
    "/history - your last jobs, to run one again\n"
    "/cancel - stop what you started\n"
    "/forget - delete everything I keep about you\n"
    "/help - this message"
)
HELP = START
# What an empty chat with the bot shows (Telegram's limits: 512 and 120 characters).
DESCRIPTION = Message(
    "I turn your photos and words into AI images, videos and songs. Send a photo with a "
    "caption saying what to change, or tap Start to see everything I can do."
)
SHORT_DESCRIPTION = Message("AI images, videos and songs from your photos and words.")
# Telegram's command menu: (command, what it does), in the order shown.
# Offered in the menu only when credits are sold (PAYMENTS=stars).
CREDITS_MENU = (
    ("balance", Message("Your credits and what you spent them on")),
    ("buy", Message("Buy credits with Telegram Stars")),
    ("paysupport", Message("Help with a payment")),
)
COMMAND_MENU = (
    ("imagine", Message("An image from a description")),
    ("edit", Message("Change a photo: use as its caption, or reply to it")),
    ("video", Message("A short video from words, or from a photo")),
    ("sketch", Message("An image from words, then a video of it")),
    ("dance", Message("Make a person in a photo move like a video")),
    ("animate", Message("Bring a still to life with a driving video")),
    ("music", Message("A song from a description, or your own lyrics")),
    ("jobs", Message("What I'm making for you")),
    ("settings", Message("Aspect ratio, resolution, video and music models")),
    ("history", Message("Your last jobs, to run one again")),
    ("language", Message("English or Bahasa Indonesia")),
    ("cancel", Message("Stop what you started")),
    ("forget", Message("Delete everything I keep about you")),
    ("help", Message("What I can do")),
)

WORKING = Message("Working on it…")
GENERATING = Message("Generating your image. This usually takes under a minute.")
GENERATING_VIDEO = Message("Making your video. This takes a few minutes; it will appear here.")
GENERATING_MUSIC = Message("Writing your song. This takes a minute or two; it will appear here.")
DONE = Message("Done. Send another photo any time.")  # the result's caption
# A video's or a song's caption: what to send for another one.
DONE_BY_KIND = {
    MediaKind.VIDEO: Message("Done. Send /video for another one."),
    MediaKind.AUDIO: Message("Done. Send /music for another song."),
}


# Each result's caption by what was asked: what it is, and what to send for another.
DONE_BY_CAPABILITY = {
    Capability.PHOTO_EDIT: DONE,
    Capability.TEXT_TO_IMAGE: Message(
        "Here's your image. Send /imagine with another description for a new one."
    ),
    Capability.EDIT: Message(
        "Edited. For another change, reply to a photo with /edit and what to change."
    ),
    Capability.TEXT_TO_VIDEO: Message(
        "Here's your video. Send /video with another description for a new one."
    ),
    Capability.IMAGE_TO_VIDEO: Message(
        "Your photo, moving. Send another photo with /video as its caption to animate it."
    ),
    Capability.SKETCH: Message(
        "Your sketch, moving. Send /sketch with another description for a new one."
    ),
    Capability.MOTION_TRANSFER: Message("Done. Send /dance to set another person moving."),
    Capability.ANIMATE: Message("Your still, brought to life. Send /animate for another one."),
    Capability.MUSIC: DONE_BY_KIND[MediaKind.AUDIO],
    Capability.MUSIC_CUSTOM: Message("Your song is ready. Send /music to write another one."),
}


def done(kind: MediaKind, capability: Capability | None = None) -> str:
    """The caption of a job's results, in the words of what was asked (by the kind of file made
    when the job names no capability the registry knows)."""
    template = DONE_BY_CAPABILITY.get(capability) if capability else None
    return (template or DONE_BY_KIND.get(kind, DONE))()


PICK_STYLE = Message("Pick a style, or type what you'd like me to do with this photo.")
PHOTO_EXPIRED = Message("That photo is no longer waiting for a prompt. Send it again.")
SEND_PHOTO_FIRST = Message("Send me a photo first, then tell me what to do with it.")
# A plain text outside any flow, in a private chat: an offer to make an image of it.
IMAGINE_OFFER = Message(
    "Shall I make an image of this? Tap the button. To change a photo instead, send the photo "
    "with these words as its caption."
)
IMAGINE_BUTTON = Message("✨ Imagine this")
IMAGINE_NOT_YOURS = Message("This button is for whoever sent the text. Send your own to use one.")
IMAGINE_EXPIRED = Message(
    "That offer has expired or was already used. Send the text again, or use /imagine."
)
STYLE_CHOSEN = Message("Style: {label}")

NOT_AN_IMAGE = Message("That file isn't an image. Send a photo, or a JPEG, PNG or WebP file.")
UNSUPPORTED_FORMAT = Message(
    "I can't use {kind} images. Send it as a photo, or as a JPEG, PNG or WebP file."
)
# An image the chosen model cannot take (WebP for some): JPEG and PNG suit every model.
IMAGE_FORMAT_REFUSED = Message(
    "I can't use that kind of image for this. Send it as a photo, or as a JPEG or PNG file."
)
TOO_BIG_FOR_TELEGRAM = Message(
    "That file is over 20 MB, the most Telegram lets bots download. "
    "Send a smaller file, or send it as a photo."
)
TOO_BIG_FOR_MODEL = Message(
    "That image is over {mb} MB, the most the image model accepts. "
    "Send it as a photo instead (Telegram shrinks it)."
)
EMPTY_PROMPT = Message(
    "The prompt is empty. Describe the change you want, e.g. “turn it into a sketch”."
)
_PROMPT_TOO_LONG = Message("That prompt is too long. Keep it under {most} characters.")


def prompt_too_long() -> str:
    return _PROMPT_TOO_LONG(most=number(PROMPT_MAX_CHARS))


TOO_MANY_IN_FLIGHT = Message(
    "You already have images in progress. Wait for one to finish, then send more."
)
HOURLY_CAP = Message("You've reached this hour's limit of images. Please try again later.")
DOWNLOAD_FAILED = Message("I couldn't download your photo from Telegram. Please send it again.")
TOO_MANY_PHOTOS = Message("I can use up to {most} photos at once. Send a smaller album.")
TOO_FAST = Message("You're sending faster than I can keep up. Wait a few seconds, then send again.")
EDIT_IGNORED = Message("Edits don't start a new image. Send the photo again with the new caption.")

SETTINGS = Message("Your settings. Tap one to change it; new jobs use them.")
SETTING_SAVED = Message("Saved.")
SETTINGS_NOT_YOURS = Message("These are someone else's settings. Send /settings for your own.")
SETTINGS_UNKNOWN = Message("That option no longer exists. Send /settings again.")
BACK = Message("Back")
LANGUAGE = Message("Language")
LANGUAGE_ASK = Message("Which language should I speak?")
# Written in the language just chosen.
LANGUAGE_SET = Message("Done: from now on I'll speak English.")
LANGUAGE_UNKNOWN = Message(
    "I speak English and Bahasa Indonesia. Send /language en or /language id."
)

# Again (a result's button) and /history's Run again: the same job, as a new one.
AGAIN_NOT_YOURS = Message("This button is for the person who asked for this. Send your own!")
AGAIN_GONE = Message("I no longer have that job, so I can't run it again. Send it as new.")
AGAIN_INPUTS_GONE = Message(
    "I no longer keep the files of that job. Send them again to make a new one."
)
AGAIN_STORAGE_DOWN = Message("I can't reach the stored files right now. Try again in a minute.")
AGAIN_ALREADY = Message("Already on it.")
HISTORY_TITLE = Message("Your last jobs, newest first:")
HISTORY_TITLE_OLDER = Message("Your earlier jobs, {first} to {last}:")
HISTORY_EMPTY = Message(
    "You have no jobs yet. Send me a photo with a caption, or try /imagine a fox in the snow."
)
HISTORY_NO_MORE = Message("There are no older jobs.")
HISTORY_NOT_YOURS = Message("This is someone else's history. Send /history for yours.")
HISTORY_LINE = Message("{number}. {kind}, {when} UTC: {ending}")
HISTORY_KINDS = {
    MediaKind.IMAGE: Message("Image"),
    MediaKind.VIDEO: Message("Video"),
    MediaKind.AUDIO: Message("Song"),
}
HISTORY_ENDINGS = {
    "delivered": Message("delivered"),
    "running": Message("still running"),
    "cancelled": Message("cancelled"),
}
HISTORY_FAILED = Message("failed ({why})")
HISTORY_WHY: dict[str, Message] = {
    FailureKind.REJECTED: Message("refused: {reason}"),
    FailureKind.TIMEOUT: Message("took too long"),
    FailureKind.BUSY: Message("service busy"),
    FailureKind.NO_CREDITS: Message("service unavailable"),
    FailureKind.MAINTENANCE: Message("service unavailable"),
    FailureKind.MISCONFIGURED: Message("service unavailable"),
    FailureKind.INPUT: Message("input unreadable"),
    FailureKind.DELIVERY: Message("result not fetched"),
    FailureKind.BAD_RESULT: Message("result unusable"),
}
HISTORY_WHY_OTHER = Message("no result")
RUN_AGAIN = Message("Run again: {number}")
HISTORY_OLDER = Message("Older")
HISTORY_NEWER = Message("Newer")
HISTORY_ASKED_CHARS = 80
HISTORY_REASON_CHARS = 80


def history_ending(ending: str, fail_kind: str = "", reason: str = "") -> str:
    """How a job in /history ended: delivered, still running, cancelled, or failed and why."""
    if ending in HISTORY_ENDINGS:
        return HISTORY_ENDINGS[ending]()
    why = HISTORY_WHY.get(fail_kind, HISTORY_WHY_OTHER)
    shown = excerpt(clean_reason(reason), HISTORY_REASON_CHARS) or REJECTED_NO_REASON()
    return HISTORY_FAILED(why=why(reason=shown))


def history_line(number_: int, kind: MediaKind, created_at: float, ending: str) -> str:
    when = day_and_time(datetime.fromtimestamp(created_at, UTC))
    return HISTORY_LINE(number=number(number_), kind=HISTORY_KINDS[kind](), when=when,
                        ending=ending)  # fmt: skip


def excerpt(text: str, most: int = HISTORY_ASKED_CHARS) -> str:
    """Someone's text on one line, printable characters only, cut to `most` with an ellipsis."""
    text = " ".join("".join(_printable_chars(text)).split())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


STATS_REFUSED = Message("Sorry, /stats is for the bot's admins.")
STATS_SENT_PRIVATELY = Message("I've sent you the figures in a private chat.")
STATS_ASK_PRIVATELY = Message(
    "Ask me for /stats in a private chat: the figures are for admins only."
)
STATS_ACCESS = Message("Active users: {active} · banned: {banned} · turned away (ever): {refused}")
# /broadcast (admins).
BROADCAST_ASK = Message(
    "Send me the message for everyone: text, or a photo with a caption. "
    "You'll see a preview before anything is sent."
)
BROADCAST_PRIVATE_ONLY = Message("Start a broadcast in a private chat with me.")
BROADCAST_TEXT_OR_PHOTO = Message(
    "A broadcast can be text, or a photo with a caption. Send one of those."
)
BROADCAST_CONFIRM = Plural(
    "That's the preview. Send it to {count} user?", "That's the preview. Send it to {count} users?"
)
BROADCAST_SEND = Message("Send to everyone")
BROADCAST_DROP = Message("Cancel")
BROADCAST_DROPPED = Message("Broadcast cancelled. Nothing was sent.")
BROADCAST_GONE = Message(
    "This broadcast has already started, or it expired. Send /broadcast again."
)
BROADCAST_STARTED = Plural("Sending to {count} user…", "Sending to {count} users…")
BROADCAST_PROGRESS = Message(
    "Broadcast: {done} of {total} done. Sent {sent}, blocked {blocked}, failed {failed}."
)
BROADCAST_DONE = Message("Broadcast finished. Sent {sent}, blocked {blocked}, failed {failed}.")


def broadcast_progress(*, total: int, sent: int, blocked: int, failed: int) -> str:
    n = number
    return BROADCAST_PROGRESS(done=n(sent + blocked + failed), total=n(total), sent=n(sent),
                              blocked=n(blocked), failed=n(failed))  # fmt: skip


def broadcast_done(*, sent: int, blocked: int, failed: int) -> str:
    return BROADCAST_DONE(sent=number(sent), blocked=number(blocked), failed=number(failed))


# /stats' chart.
CHART_JOBS_TITLE = Message("Jobs per hour, last 24 hours")
CHART_HOUR_AXIS = Message("hour (UTC)")
CHART_SUCCEEDED = Message("succeeded")
CHART_FAILED = Message("failed")
CHART_CANCELLED = Message("cancelled")
CHART_TIMES_TITLE = Message("Time to result by model (recent jobs)")
CHART_SECONDS_AXIS = Message("seconds")
CHART_NO_TIMES = Message("No results yet")

# /forget.
FORGET_CONFIRM = Message(
    "This deletes everything I keep about you: your jobs, their photos and results, your history, "
    "settings and language. Anything still being made is stopped. This can't be undone."
)
FORGET_YES = Message("Delete everything")
FORGET_NO = Message("Keep my data")
FORGET_KEPT = Message("Nothing was deleted.")
FORGET_STARTED = Message("Deleting everything I keep about you…")
FORGET_UNDER_WAY = Message("I'm already deleting your data. I'll say here when it's done.")
FORGET_NOT_YOURS = Message("Only the person who asked can press this.")
FORGET_JOBS = Plural("{count} request", "{count} requests")
FORGET_FILES = Plural("{count} file", "{count} files")
FORGET_RECORDS = Plural("{count} other record", "{count} other records")
FORGET_DONE = Message(
    "Done. I deleted everything I kept about you: {jobs}, {files} and {records}. "
    "Send /start if you want to use me again."
)


def forget_done(counts: dict[str, int]) -> str:
    """What /forget deleted: jobs, files, and the rest (settings, flows, counters) together."""
    jobs, files = counts.get("jobs", 0), counts.get("files", 0)
    records = sum(n for kind, n in counts.items() if kind not in ("jobs", "files"))
    return FORGET_DONE(jobs=FORGET_JOBS(jobs), files=FORGET_FILES(files),
                       records=FORGET_RECORDS(records))  # fmt: skip


# Credits (PAYMENTS=stars): a price confirmed before a dear job, a job refused for want of
# credits, and /balance.
FORGET_KEEPS_CREDITS = Message(
    "Your credits and Stars payments stay on record: they are needed for refunds and accounting."
)
CREDITS = Plural("{amount} credit", "{amount} credits")
PRICE_CONFIRM = Message("This costs {price}. You have {balance}.")
PRICE_START = Message("Start for {price}")
PRICE_NOT_NOW = Message("Not now")
PRICE_DECLINED = Message("Not started. Nothing was spent.")
PRICE_EXPIRED = Message("This has expired. Please send your request again.")
NOT_ENOUGH_CREDITS = Message(
    "This costs {price}, and you have {balance}. Send /buy to get more credits."
)
BALANCE = Message("You have {credits}.")
BALANCE_HELD = Message("{credits} are set aside for jobs in progress.")
BALANCE_LATEST = Message("Latest:")
BALANCE_EMPTY = Message("No movements yet.")
BALANCE_BUY = Message("Send /buy for more credits. A job that fails costs nothing.")
_ENTRY_REASONS = {
    "free": Message("welcome credits"),
    "daily": Message("daily free credits"),
    "back": Message("{what}: given back, it was not made"),
    "buy": Message("bought with Telegram Stars"),
    "refund": Message("payment refunded"),
    "restored": Message("refund undone"),
    "carried": Message("earlier movements"),
}


def credits(count: int) -> str:
    return CREDITS(count, amount=number(count))


def price_confirm(price: int, balance: int) -> str:
    return PRICE_CONFIRM(price=credits(price), balance=credits(balance))


def not_enough_credits(price: int, balance: int) -> str:
    return NOT_ENOUGH_CREDITS(price=credits(price), balance=credits(balance))


def balance_text(available: int, held: int, lines: Sequence[str]) -> str:
    """/balance: what the user can spend, what running jobs hold, the latest movements."""
    parts = [BALANCE(credits=credits(available))]
    if held:
        parts.append(BALANCE_HELD(credits=credits(held)))
    parts.append("")
    parts.extend([BALANCE_LATEST(), *lines] if lines else [BALANCE_EMPTY()])
    parts.extend(["", BALANCE_BUY()])
    return "\n".join(parts)


def entry_reason(reason: str, what: str = "") -> str:
    """Why credits moved, in words; a job's entry is what it made (`what`)."""
    label = _ENTRY_REASONS.get(reason)
    return what if label is None else label(what=what)


def ledger_line(amount: int, reason: str, at: float, what: str) -> str:
    """`+12  welcome credits · 9 Dec, 14:05`; a job's line names what it made."""
    said = entry_reason(reason, what)
    sign = "+" if amount > 0 else "\u2212" if amount < 0 else "±"
    when = day_and_time(datetime.fromtimestamp(at, UTC))
    return f"{sign}{number(abs(amount))}  {said} · {when}"


# Bans and the allow-list (admins: /ban, /unban; ALLOWED_USER_IDS).
ADMIN_ONLY = Message("Sorry, that command is for the bot's admins.")
BAN_USAGE = Message(
    "Send /{command} and the user's number, for example /{command} 123456789, "
    "or reply /{command} to one of their messages."
)
BANNED = Message("User {user} is banned: I won't answer them or make anything for them.")
BANNED_UNKNOWN = Message(
    "User {user} is banned. They haven't written to me yet, so check the number."
)
BAN_ALREADY = Message("User {user} was already banned.")
BAN_ADMIN = Message("User {user} is an admin, and admins can't be banned.")
UNBANNED = Message("User {user} can use the bot again.")
UNBAN_ALREADY = Message("User {user} wasn't banned.")
REFUSED_BANNED = Message("Sorry, you can't use this bot.")
REFUSED_UNLISTED = Message(
    "Sorry, this bot is private. To ask for access, send its owner your user number: {user}"
)


FAILURE_BY_KIND: dict[str, Message] = {
    FailureKind.MISCONFIGURED: Message(
        "The service is misconfigured right now. The admins have been told."
    ),
    FailureKind.NO_CREDITS: Message(
        "Image generation is temporarily unavailable. Please try again later."
    ),
    FailureKind.REJECTED: Message(
        "The image service refused this request: {reason}\nTry a different photo or prompt."
    ),
    FailureKind.BUSY: Message("The service is busy. Try again in a minute."),
    FailureKind.MAINTENANCE: Message("The image service is under maintenance. Try again later."),
    FailureKind.FAILED: Message("Generation failed. Please send your photo again to retry."),
    FailureKind.TIMEOUT: Message(
        "This is taking too long, so I've stopped waiting. Please try again."
    ),
    FailureKind.INPUT: Message("I couldn't read that image. Send a JPEG, PNG or WebP photo."),
    FailureKind.DELIVERY: Message("Your image is ready but I couldn't fetch it. Please try again."),
    FailureKind.BAD_RESULT: Message(
        "The image service sent back something that isn't a usable image. Please try again."
    ),
    FailureKind.WITHDRAWN: Message(
        "That model isn't available right now, and the admins have been told. "
        "Please try again later."
    ),
}
# The same, for anything but an image made from the user's photo (a video, a song, an image from
# words): no "image service", no "send your photo again" where there was no photo.
FAILURE_OTHER: dict[str, Message] = {
    FailureKind.NO_CREDITS: Message("This is temporarily unavailable. Please try again later."),
    FailureKind.REJECTED: Message(
        "The service refused this request: {reason}\nTry a different description."
    ),
    FailureKind.MAINTENANCE: Message("The service is under maintenance. Try again later."),
    FailureKind.FAILED: Message("Generation failed. Send your request again to retry."),
    FailureKind.INPUT: Message(
        "I couldn't read what you sent. Send it again as a photo or a video."
    ),
}
REJECTED_WITH_PHOTO = Message(
    "The service refused this request: {reason}\nTry a different photo or description."
)
# Sent after the results that did go out, when others could not be.
SOME_RESULTS_MISSING = Message(
    "{missing} of the {total} images couldn't be fetched. Send your photo again to retry."
)
REJECTED_NO_REASON = Message("it didn't pass the content checks")
MAX_REASON_CHARS = 300

ADMIN_ALERT = Message("Photobot alert: {what}. Provider said: {reason}")
# The {what} of an ADMIN_ALERT when a job failed for a reason only the operator can fix.
KEY_REFUSED_ALERT = Message("the {provider} API key was refused")
NO_CREDITS_ALERT = Message("{provider} credits are used up")
# Why a provider is passed over, as admins read it in an alert and in /stats.
PROVIDER_TROUBLE = {
    FailureKind.MISCONFIGURED: Message("refused the API key"),
    FailureKind.NO_CREDITS: Message("is out of credits"),
    FailureKind.MAINTENANCE: Message("is down for maintenance"),
    FailureKind.BUSY: Message("is not answering (outage or rate limit)"),
}
FAILOVER_ALERT = Message(
    "Photobot alert: {provider} {trouble}, so new jobs go to {to}; {provider} is tried first "
    "again in {minutes} min. Provider said: {reason}"
)
FAILOVER_BACK = Message("Photobot: {provider} is taking jobs again.")
# The {what} of an ADMIN_ALERT when a provider no longer offers a model (sent once per period).
WITHDRAWN_ALERT = Message(
    "{provider} says it does not offer the model {model} (withdrawn?); its jobs go to another "
    "provider where one serves the same"
)
_FAILED_TROUBLE = Message("failed")


def failover_alert(exc: ProviderError, to: str, minutes: float) -> str:
    trouble = PROVIDER_TROUBLE.get(exc.kind, _FAILED_TROUBLE)()
    reason = clean_reason(exc.message) or str(exc.code)
    return FAILOVER_ALERT(
        provider=exc.provider, trouble=trouble, to=to, minutes=number(minutes), reason=reason
    )


def failover_back(provider: str) -> str:
    return FAILOVER_BACK(provider=provider)


def withdrawn_alert(provider: str, model: str) -> str:
    return WITHDRAWN_ALERT(provider=provider, model=model)


def operator_alert(kind: FailureKind, provider: str) -> str:
    """The {what} of an ADMIN_ALERT for a failure only the operator can fix."""
    template = NO_CREDITS_ALERT if kind is FailureKind.NO_CREDITS else KEY_REFUSED_ALERT
    return template(provider=provider)


def failure_text(
    kind: str, reason: str = "", *, output: MediaKind = MediaKind.IMAGE, from_photo: bool = True
) -> str:
    """The sentence a user sees for a failed job, in the words of what was asked (an image made
    from their photo, or anything else); only a refusal shows the provider's reason, and a
    refusal never invites sending the same thing again."""
    if output is MediaKind.IMAGE and from_photo:
        template = FAILURE_BY_KIND.get(kind, FAILURE_BY_KIND[FailureKind.FAILED])
    elif kind == FailureKind.REJECTED and from_photo:
        template = REJECTED_WITH_PHOTO
    else:
        template = (
            FAILURE_OTHER.get(kind)
            or FAILURE_BY_KIND.get(kind)
            or FAILURE_OTHER[FailureKind.FAILED]
        )
    return template(reason=clean_reason(reason) or REJECTED_NO_REASON())


def some_results_missing(missing: int, total: int) -> str:
    return SOME_RESULTS_MISSING(missing=number(missing), total=number(total))


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


STATS_TITLE = Message("Photobot stats")
STATS_USERS = Message("Users: {users}")
STATS_JOBS = Message("Jobs today: {today}  (total {total})")
STATS_OUTCOMES = Message("Succeeded: {succeeded}  Failed: {failed}  In progress: {running}")
STATS_CANCELLED = Message("Cancelled by users: {cancelled}")
STATS_TIMES = Message("Time to result: mean {mean}, p95 {p95}")
STATS_PROVIDERS = Message("Providers:")
# How results reach Photobot: providers call back, or (no PUBLIC_BASE_URL) every job is polled.
STATS_CALLBACKS_ON = Message("Results: callbacks=on")
STATS_CALLBACKS_OFF = Message("Results: callbacks=off (polling), no public URL")
STATS_MODELS = Message("By model:")
MODEL_JOBS = Plural("{count} job", "{count} jobs")
MODEL_LINE = Message("  {title}: {jobs}, {ok} succeeded, p50 {p50}, p95 {p95}")
PROVIDER_OK = Message("ok")
PROVIDER_COOLING = Message("passed over until {until} ({trouble})")
PROVIDER_ERRORS = Message("{errors} of {submits} submits failed in the last hour")
PROVIDER_LINE = Message("  {name}: {state}, balance {balance}, {errors}")
NOT_AVAILABLE = Message("n/a")
BALANCE_UNAVAILABLE = Message("unavailable")
SECONDS = Message("{seconds} s")


def stats_text(
    *,
    users: int,
    jobs_today: int,
    jobs_total: int,
    succeeded: int,
    failed: int,
    in_progress: int,
    mean_s: float | None,
    active: int = 0,
    banned: int = 0,
    refused: int = 0,
    p95_s: float | None,
    provider_lines: Sequence[str],
    model_lines: Sequence[str] = (),
    cancelled: int = 0,
    money_lines: Sequence[str] = (),
    callbacks: bool = True,
) -> str:
    """/stats: the totals, the money when credits are charged (see money_lines), how results
    arrive, then one line per provider and per model (see the two below)."""
    n = number
    return "\n".join(
        [
            STATS_TITLE(),
            STATS_USERS(users=n(users)),
            STATS_JOBS(today=n(jobs_today), total=n(jobs_total)),
            STATS_OUTCOMES(succeeded=n(succeeded), failed=n(failed), running=n(in_progress)),
            STATS_CANCELLED(cancelled=n(cancelled)),
            STATS_TIMES(mean=_secs(mean_s), p95=_secs(p95_s)),
            STATS_ACCESS(active=n(active), banned=n(banned), refused=n(refused)),
            *money_lines,
            (STATS_CALLBACKS_ON if callbacks else STATS_CALLBACKS_OFF)(),
            STATS_PROVIDERS(),
            *provider_lines,
            *([STATS_MODELS()] if model_lines else []),
            *model_lines,
        ]
    )


# --- /stats' money (only with PAYMENTS=stars) and provider balances against jobs in flight ---
STATS_CREDITS = Message("Credits spent: today {today}  (total {total})")
STATS_CREDITS_BY_MODEL = Message("Credits by model:")
STATS_CREDITS_BY_PROVIDER = Message("Credits by provider:")
MONEY_LINE = Message("  {name}: today {today}  (total {total})")
STATS_STARS = Message("Stars received: today {today}  (total {total})")
STATS_REFUNDS = Message(
    "Refunds: today {today}, {stars_today} Stars  (total {total}, {stars_total} Stars)"
)
STATS_SPENDERS = Message("Top spenders (user id: credits):")
# A provider line's balance when credits are charged: its own unit, like the balance.
PROVIDER_BALANCE_IN_FLIGHT = Message("{balance} · in flight could spend {cost}")
BALANCE_LOW_ALERT = Message(
    "Photobot alert: the {provider} balance is {balance}, below {threshold}; jobs in flight "
    "could spend {cost}. Top it up."
)
BALANCE_SHORT_ALERT = Message(
    "Photobot alert: the {provider} balance is {balance}, less than jobs in flight could spend "
    "({cost}). Top it up, or they will fail."
)
Figure = tuple[int, int]  # (today, total)


def money_lines(
    *,
    spent: Figure,
    by_model: Sequence[tuple[str, Figure]],
    by_provider: Sequence[tuple[str, Figure]],
    stars: Figure,
    refunds: Figure,
    refunded_stars: Figure,
    spenders: Sequence[tuple[int, int]],
) -> list[str]:
    """/stats' money: credits spent today and in total (by model title and provider), Stars
    received, refunds, and the top spenders as user id and credits."""
    n = number

    def rows(title: Message, named: Sequence[tuple[str, Figure]]) -> list[str]:
        lines = [MONEY_LINE(name=name, today=n(f[0]), total=n(f[1])) for name, f in named]
        return [title(), *lines] if lines else []

    return [
        STATS_CREDITS(today=n(spent[0]), total=n(spent[1])),
        *rows(STATS_CREDITS_BY_MODEL, by_model),
        *rows(STATS_CREDITS_BY_PROVIDER, [(p.capitalize(), f) for p, f in by_provider]),
        STATS_STARS(today=n(stars[0]), total=n(stars[1])),
        STATS_REFUNDS(
            today=n(refunds[0]),
            stars_today=n(refunded_stars[0]),
            total=n(refunds[1]),
            stars_total=n(refunded_stars[1]),
        ),
        *([STATS_SPENDERS()] if spenders else []),
        *(f"  {user}: {n(credits)}" for user, credits in spenders),
    ]


def balance_alert(provider: str, balance: float, cost: float, threshold: float | None) -> str:
    """Why a provider's balance is low: under the threshold, else under what is in flight."""
    figures = {"provider": provider.capitalize(), "balance": number(balance, 4),
               "cost": number(cost, 4)}  # fmt: skip
    if threshold is not None and balance < threshold:
        return BALANCE_LOW_ALERT(threshold=number(threshold, 4), **figures)
    return BALANCE_SHORT_ALERT(**figures)


def model_line(
    title: str, started: int, success_rate: float | None, p50_s: float | None, p95_s: float | None
) -> str:
    ok = NOT_AVAILABLE() if success_rate is None else f"{number(success_rate * 100, 0)}%"
    jobs = MODEL_JOBS(started)
    return MODEL_LINE(title=title, jobs=jobs, ok=ok, p50=_secs(p50_s), p95=_secs(p95_s))


def provider_line(
    name: str,
    cooling: tuple[float, FailureKind] | None,
    balance: float | None,
    errors: int,
    submits: int,
    in_flight: float | None = None,
) -> str:
    """One provider's state (passed over until when, and why), balance (and, given, what jobs
    in flight could still spend there) and submit errors over the last hour."""
    if cooling is None:
        state = PROVIDER_OK()
    else:
        until = datetime.fromtimestamp(cooling[0], UTC).strftime("%H:%M UTC")
        trouble = PROVIDER_TROUBLE.get(cooling[1], _FAILED_TROUBLE)()
        state = PROVIDER_COOLING(until=until, trouble=trouble)
    failed = PROVIDER_ERRORS(errors=number(errors), submits=number(submits))
    amount = BALANCE_UNAVAILABLE() if balance is None else number(balance, 4)
    if in_flight is not None:
        amount = PROVIDER_BALANCE_IN_FLIGHT(balance=amount, cost=number(in_flight, 4))
    return PROVIDER_LINE(name=name.capitalize(), state=state, balance=amount, errors=failed)


def _secs(value: float | None) -> str:
    return NOT_AVAILABLE() if value is None else SECONDS(seconds=number_fixed(value, 1))


SOMETHING_WRONG = Message("Something went wrong on my side. Please try again in a moment.")
OTHER_MESSAGE = Message("I work with photos. Send me one with a caption saying what to change.")


# --- What to change when an input breaks a model's limit (bot.models.limits.Problem) ---------

# What a limit's sentence calls a file or a text: "a photo", "the lyrics".
KIND_NAMES = {
    MediaKind.IMAGE: Plural("photo", "photos"),
    MediaKind.VIDEO: Plural("video", "videos"),
    MediaKind.AUDIO: Plural("audio file", "audio files"),
}
FILE_NAME = Plural("file", "files")
TEXT_NAMES = {
    "prompt": Message("description"),
    "lyrics": Message("lyrics"),
    "style": Message("style"),
    "title": Message("title"),
}
NOT_A_VIDEO = Message("That file isn't a video. Send an MP4 or MOV video.")
MODEL_UNAVAILABLE = Message("That isn't available right now. Please try again later.")
SEND_JUST = Message("Send just {most} {kind} for this.")
NEEDS_A = Message("This needs a {kind}. Send one, then try again.")
VIDEO_FORMAT_REFUSED = Message("I can't use that video format. Send an MP4 or MOV video.")
FILE_TOO_BIG = Message("That {kind} is over {mb} MB. Send a smaller one.")
FILE_TOO_SMALL = Message("That {kind} is too small: it needs at least {most} by {most} pixels.")
WRONG_LENGTH = Message(
    "That {kind} is {seconds} s long; it needs {low} to {high} s. Trim it and send it again."
)
TEXT_MISSING = Message("Add a {text}, then send it again.")
TEXT_TOO_LONG = Message("That {text} is too long. Keep it under {most} characters.")


def limit_text(problem: Problem) -> str:
    """The answer for an input over a limit: which limit, and what to send instead."""
    count = int(problem.limit) if problem.breach is Breach.TOO_MANY else 1
    kind = KIND_NAMES.get(problem.kind, FILE_NAME) if problem.kind else FILE_NAME
    name = kind(count)
    text = TEXT_NAMES[problem.text]() if problem.text in TEXT_NAMES else problem.text
    most, mb = number(problem.limit), number(problem.limit / 2**20)
    match problem.breach:
        case Breach.TOO_MANY if problem.kind is MediaKind.IMAGE:
            return TOO_MANY_PHOTOS(most=most)
        case Breach.TOO_MANY:
            return SEND_JUST(most=most, kind=name)
        case Breach.TOO_FEW:
            return NEEDS_A(kind=name)
        case Breach.FORMAT if problem.kind is MediaKind.VIDEO:
            return VIDEO_FORMAT_REFUSED()
        case Breach.FORMAT:
            return IMAGE_FORMAT_REFUSED()
        case Breach.TOO_BIG if problem.kind is MediaKind.IMAGE:
            return TOO_BIG_FOR_MODEL(mb=mb)
        case Breach.TOO_BIG:
            return FILE_TOO_BIG(kind=name, mb=mb)
        case Breach.TOO_SMALL:
            return FILE_TOO_SMALL(kind=name, most=most)
        case Breach.TOO_SHORT | Breach.TOO_LONG:
            low, high = number(problem.limit), number(problem.limit_high)
            return WRONG_LENGTH(kind=name, seconds=number(problem.actual, 0), low=low, high=high)
        case Breach.TEXT_MISSING:
            return TEXT_MISSING(text=text)
        case Breach.TEXT_TOO_LONG:
            return TEXT_TOO_LONG(text=text, most=most)
    return NOT_AN_IMAGE()


# --- Flows: what each step asks for ------------------------------------------------------------

FLOW_INTROS = {
    "imagine": Message("Describe the image you want, e.g. “a red fox in the snow”."),
    "edit": Message("Send the photo (or an album) to edit, with what to change as the caption."),
    "video": Message("Describe the video you want, or send a photo with /video as its caption."),
    "sketch": Message(
        "Describe the scene, e.g. “a paper boat on a rainy street”. I'll draw it, "
        "show you the image, then turn it into a video."
    ),
    "dance": Message(
        "Send a photo of a person and a video of the moves (3 to 30 s), in either order."
    ),
    "animate": Message(
        "Send a still photo and a video whose motion it should copy, in either order."
    ),
    "music": Message(
        "Let's write a song. First the lyrics, or the word “instrumental” for no vocals."
    ),
}
FLOW_ASK_TEXT = {
    "prompt": Message("Now tell me what you'd like, in one message."),
    "lyrics": Message("Send the lyrics, or the word “instrumental” for a song without vocals."),
    "style": Message("Now the style, e.g. “dreamy synth-pop, female vocals”."),
    "title": Message("And a title for the song."),
}
FLOW_ASK_MEDIA = {
    MediaKind.IMAGE: Message("Got the video. Now send the photo."),
    MediaKind.VIDEO: Message("Got the photo. Now send the video."),
}
FLOW_WAITING_FOR = Message("I'm waiting for something else. {ask} Or send /cancel.")
FLOW_TIMED_OUT = Message(
    "Your /{command} timed out after 10 minutes. Send /{command} to start again."
)
FLOW_VIDEO_AS_FILE = Message(
    "Send the video as a video, not as a file, so I can see how long it is."
)
CANCELLED = Message("Cancelled. Send a command whenever you're ready.")
NOTHING_TO_CANCEL = Message("There was nothing to cancel.")
VIDEO_OUTSIDE_FLOW = Message("To make a photo move like this video, send /dance or /animate first.")


# --- Long jobs: what the status message says while they run ------------------------------------

_GENERATING = {MediaKind.VIDEO: GENERATING_VIDEO, MediaKind.AUDIO: GENERATING_MUSIC}
_LYRICS_DONE = Message("The lyrics are written; now the music.")
_FIRST_DONE = Message("The first track is ready; finishing the second.")
_STAGES = {
    "text": _LYRICS_DONE, "text_success": _LYRICS_DONE,
    "first": _FIRST_DONE, "first_success": _FIRST_DONE,
}  # fmt: skip
# The caption of a result sent while the job still runs (a song's first track).
_EARLY_CAPTION = {
    MediaKind.AUDIO: Message("Here's your first track. The second one is on its way."),
}
_EARLY_ANY = Message("Here's the first one. The rest is on its way.")
_PROGRESS = {
    MediaKind.VIDEO: Message("Making your video…"),
    MediaKind.AUDIO: Message("Writing your song…"),
}
_SO_FAR = Message("{doing} {time} so far.")
_MINUTES_SECONDS = Message("{minutes} min {seconds} s")


def generating(kind: MediaKind, step: int = 0, steps: int = 1) -> str:
    """The status once the provider has the job (a chain's job: which step is running)."""
    if steps > 1:
        return step_status(kind, step, steps)
    return _GENERATING.get(kind, GENERATING)()


def early_caption(kind: MediaKind) -> str:
    """The caption of a result that goes out before the job ends."""
    return _EARLY_CAPTION.get(kind, _EARLY_ANY)()


def progress(kind: MediaKind, stage: str, elapsed_s: float, step: int = 0, steps: int = 1) -> str:
    """The status while a long job runs: the stage (or step) when known, and the time so far."""
    so_far = elapsed(elapsed_s)
    doing = _STAGES.get(stage, _PROGRESS.get(kind, WORKING))()
    if steps > 1:
        doing = step_status(kind, step, steps)
    return _SO_FAR(doing=doing, time=so_far)


def elapsed(elapsed_s: float) -> str:
    """A running time in steps of 10 s: "40 s", "2 min 10 s"."""
    minutes, seconds = divmod(int(elapsed_s) // 10 * 10, 60)
    if minutes:
        return _MINUTES_SECONDS(minutes=number(minutes), seconds=number(seconds))
    return SECONDS(seconds=number(seconds))


# --- Running jobs: /jobs, /cancel, and the Cancel button on a status message ---------------

CANCEL_BUTTON = Message("Cancel")
CANCEL_NUMBERED = Message("Cancel {number}")  # under /jobs: the line's number
JOB_CANCELLED = Message("Cancelled. I won't send this one; start another whenever you like.")
# A press's short answer, shown by Telegram over the chat.
CANCEL_PRESSED = Message("Cancelled.")
CANCEL_NOT_YOURS = Message("Only the person who started this can cancel it.")
CANCEL_ALREADY = Message("That was already cancelled.")
CANCEL_TOO_LATE = Message("Too late to cancel: it's already done.")
CANCEL_GONE = Message("That's no longer running, so there's nothing to cancel.")
# /cancel with several jobs running, above the /jobs list.
CANCEL_WHICH = Message("Which one should I stop? Tap its Cancel button.")
JOBS_NONE = Message("Nothing is running right now. Send a photo or a command to start something.")
JOBS_TITLE = Message("Running now:")
# A /jobs line by what the job makes; {stage} is a sentence below (or a step's status).
JOB_LINES = {
    MediaKind.IMAGE: Message("{number}) Your image, {time} so far. {stage}"),
    MediaKind.VIDEO: Message("{number}) Your video, {time} so far. {stage}"),
    MediaKind.AUDIO: Message("{number}) Your song, {time} so far. {stage}"),
}
JOB_STARTING = Message("Starting.")
JOB_MAKING = Message("Being made.")
JOB_NEXT_STEP = Message("Step {step} of {steps} done; the next one starts soon.")
# "2nd of 3 in progress": a status message's place among its user's running jobs.
JOB_PLACE = Message("{place} of {total} in progress")
_ORDINALS = {
    1: Message("{n}st"),
    2: Message("{n}nd"),
    3: Message("{n}rd"),
}
_ORDINAL_TH = Message("{n}th")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st… in English; each language writes its own form."""
    suffix = None if n % 100 in (11, 12, 13) else _ORDINALS.get(n % 10)
    return (suffix or _ORDINAL_TH)(n=number(n))


def job_place(place: int, total: int) -> str:
    """Where a job stands among its user's running jobs, from 1 (the oldest)."""
    return JOB_PLACE(place=ordinal(place), total=number(total))


def job_stage(kind: MediaKind, stage: str, *, started: bool, step: int, steps: int,
              between_steps: bool) -> str:  # fmt: skip
    """Which stage a running job is at, as /jobs says it."""
    if between_steps:
        return JOB_NEXT_STEP(step=number(step + 1), steps=number(steps))
    if steps > 1:
        return step_status(kind, step, steps)
    if not started:
        return JOB_STARTING()
    return _STAGES.get(stage, JOB_MAKING)()


def job_line(number_: int, kind: MediaKind, elapsed_s: float, stage: str) -> str:
    line = JOB_LINES.get(kind, JOB_LINES[MediaKind.IMAGE])
    return line(number=number(number_), time=elapsed(elapsed_s), stage=stage)


# --- Chains (/sketch): one job, its steps in turn ------------------------------------------

_STEP_DOING = {
    MediaKind.IMAGE: Message("drawing…"),
    MediaKind.VIDEO: Message("animating…"),
    MediaKind.AUDIO: Message("composing…"),
}
_STEP_WORKING = Message("working…")
_STEP_STATUS = Message("Step {step} of {steps}: {doing}")
# What a chain's step makes, as a step's failure names it ("The video step failed: …").
OUTPUT_NAMES = {
    MediaKind.IMAGE: Plural("image", "images"),
    MediaKind.VIDEO: Plural("video", "videos"),
    MediaKind.AUDIO: Plural("audio", "audio"),
}
_PREVIEW = {
    MediaKind.VIDEO: Message(
        "Here's your image. Next I'll turn it into a video; it will appear here in a few minutes."
    ),
}
_PREVIEW_ANY = Message("Here's the first part. The rest is on its way and will appear here.")
_STEP_FAILED = Message("The {output} step failed: {why}")
_STEP_WHY: dict[str, Message] = {
    FailureKind.MISCONFIGURED: Message(
        "the service is misconfigured right now. The admins have been told."
    ),
    FailureKind.NO_CREDITS: Message("the service is temporarily unavailable."),
    FailureKind.BUSY: Message("the service is busy."),
    FailureKind.MAINTENANCE: Message("the service is under maintenance."),
    FailureKind.TIMEOUT: Message("it took too long, so I stopped waiting."),
    FailureKind.INPUT: Message("the result of the step before couldn't be used for it."),
    FailureKind.DELIVERY: Message("the {output} was made but I couldn't fetch it."),
    FailureKind.BAD_RESULT: Message(
        "the service sent back something that isn't a usable {output}."
    ),
    FailureKind.FAILED: Message("the service couldn't make it."),
    FailureKind.WITHDRAWN: Message("its model isn't available right now."),
}
_STEP_AGAIN = Message("Send /{chain} to try again.")


def step_status(kind: MediaKind, step: int, steps: int) -> str:
    """Which step of a chain's job is running, e.g. "Step 2 of 2: animating…"."""
    doing = _STEP_DOING.get(kind, _STEP_WORKING)()
    return _STEP_STATUS(step=number(step + 1), steps=number(steps), doing=doing)


def preview_caption(following: MediaKind) -> str:
    """The caption of a step's result when another step follows (what comes next)."""
    return _PREVIEW.get(following, _PREVIEW_ANY)()


def step_failed(output: MediaKind, kind: str, reason: str, chain: str) -> str:
    """Which step of a chain failed and why; what the earlier steps sent stays in the chat.
    As for single jobs, only a refusal shows the provider's reason."""
    name = OUTPUT_NAMES[output](1)
    if kind == FailureKind.REJECTED:
        why = (clean_reason(reason) or REJECTED_NO_REASON()).rstrip(".") + "."
    else:
        why = _STEP_WHY.get(kind, _STEP_WHY[FailureKind.FAILED])(output=name)
    text = _STEP_FAILED(output=name, why=why)
    return f"{text} {_STEP_AGAIN(chain=chain)}" if chain else text


# --- Results by kind: videos, tracks, albums and links (bot/jobs/deliver/) ------------------
# Keyed by what a job makes (MediaKind values); image jobs keep the sentences above.

AUDIO_PERFORMER = "Photobot"  # shown beside a track's title in Telegram's music player
# A result over Telegram's 50 MB upload limit, stored by Photobot instead.
RESULT_LINK = Message(
    "Done. This file is {size_mb} MB, more than Telegram lets me send (50 MB).\n"
    "Download it here until {until}:\n{url}"
)
DELIVERY_FAILED_BY_OUTPUT = {
    "video": Message("Your video is ready but I couldn't fetch it. Please try again."),
    "audio": Message("Your music is ready but I couldn't fetch it. Please try again."),
}
BAD_RESULT_BY_OUTPUT = {
    "video": Message(
        "The video service sent back something that isn't a usable video. Please try again."
    ),
    "audio": Message(
        "The music service sent back something that isn't a usable track. Please try again."
    ),
}
RESULTS_MISSING_BY_OUTPUT = {
    "video": Message("{missing} of the {total} videos couldn't be fetched. Please try again."),
    "audio": Message("{missing} of the {total} tracks couldn't be fetched. Please try again."),
}


def result_link(size_mb: int, until: str, url: str) -> str:
    """The message that carries a link instead of the file; `until` is a plain UTC time."""
    return RESULT_LINK(size_mb=number(size_mb), until=until, url=url)


def delivery_failure_text(kind: FailureKind, output: str) -> str:
    """A failure delivery found itself (nothing fetched, nothing usable), in the words of
    what the job makes."""
    by_output = {
        FailureKind.DELIVERY: DELIVERY_FAILED_BY_OUTPUT,
        FailureKind.BAD_RESULT: BAD_RESULT_BY_OUTPUT,
    }.get(kind, {})
    template = by_output.get(output)
    return template() if template is not None else failure_text(kind)


def results_missing(missing: int, total: int, output: str) -> str:
    """After the results that did go out, when others could not."""
    template = RESULTS_MISSING_BY_OUTPUT.get(output)
    if template is None:
        return some_results_missing(missing, total)
    return template(missing=number(missing), total=number(total))


# --- Kept results and their buttons (bot/jobs/deliver/keyboards.py, bot/handlers/results.py) -

BUTTON_AGAIN = Message("Again")
BUTTON_ORIGINAL = Message("Original")
BUTTON_EDIT_THIS = Message("Edit this")
BUTTON_ANIMATE = Message("Animate")
ALBUM_OPTIONS = Message("Options for these images:")  # above an album's numbered buttons
KEPT_NOT_YOURS = Message("These buttons are for the person who asked for this result.")
KEPT_GONE = Message("I no longer have that result. Send a new request.")
KEPT_NOT_READY = Message("I'm still saving that result. Wait a few seconds, then tap again.")
KEPT_UNREACHABLE = Message("I couldn't get that file just now. Wait a minute, then tap again.")
EDIT_THIS_ASK = Message("What should I change in this image? Tell me in one message.")
ANIMATE_ASK = Message("How should this image move? Describe it in one message.")


# --- Payments (Telegram Stars) ---
# (bot/handlers/payments.py, bot/credits/payments.py, bot/credits/reconcile.py)

# An invoice /buy sends: its title (at most 32 characters) and description (at most 255).
BUY_DESCRIPTION = Message(
    "{credits} credits for images, videos and songs, for {stars} Stars. "
    "Credits are spent only when you get your result."
)
# Telegram shows these when a pre-checkout query is refused.
CHECKOUT_CHANGED = Message("This offer has changed: send /buy again.")
PAYMENT_CREDITED = Message("Thank you! +{credits} credits, balance {balance}.")
PAYMENT_NOT_MATCHED = Message(
    "I couldn't match this payment to an offer, so it added no credits. The admins have been "
    "told and can refund it. Questions: /paysupport"
)
PAYSUPPORT = Message(
    "Help with a payment: send /paysupport and what went wrong in one message, for example "
    "“/paysupport I paid but got no credits”. I pass it to the bot's admins, who can refund "
    "a purchase. Telegram's support can't help with purchases made in bots."
)
PAYSUPPORT_SENT = Message("Sent to the admins.")
PAYSUPPORT_ALERT = Message(
    "Payment help asked by user {user}: {text}\nTheir latest payments: {charges}"
)
PAYMENT_MISMATCH_ALERT = Message(
    "Photobot alert: payment {charge} from user {user} ({amount} {currency}) does not match "
    "its invoice, so it added no credits. Refund it with /refund {charge}"
)

# Admins: /refund and /payments.
REFUND_USAGE = Message("Send /refund and the payment's charge id (see /payments).")
REFUND_DONE = Message(
    "Refunded payment {charge}: {credits} credits taken from user {user}, balance {balance}."
)
REFUND_ALREADY = Message("Payment {charge} was refunded already.")
REFUND_UNKNOWN = Message("I know no payment {charge}.")
REFUND_SHORT = Message(
    "Not refunded: payment {charge} gave {credits} credits and user {user} has {left} left "
    "({spent} spent)."
)
REFUND_REFUSED = Message(
    "Telegram refused to refund payment {charge}: {reason}. The {credits} credits are back "
    "with user {user}."
)
PAYMENTS_NONE = Message("No payments yet.")
PAYMENTS_LATEST = Message("Latest payments:")
# One line a payment: its time, charge id, user, Stars paid, credits given, state.
PAYMENT_LINE = Message("{when}  {charge}  user {user}, {stars} Stars, {credits} credits, {state}")
PAYMENT_STATES = {
    "paid": Message("paid"),
    "mismatch": Message("not matched, no credits"),
    "refunding": Message("refund unfinished"),
    "refunded": Message("refunded"),
}
RECONCILE_CLEAN = Message("Telegram's Stars transactions match the ledger.")
RECONCILE_UNAVAILABLE = Message("I couldn't read Telegram's Stars transactions just now.")
RECONCILE_DIFFERS = Message("Photobot alert: Telegram's Stars transactions differ from the ledger.")
# One line for each kind of difference, naming the charge ids.
RECONCILE_LINES = {
    "missing_in_ledger": Message("Paid at Telegram, missing in the ledger: {ids}"),
    "missing_at_telegram": Message("In the ledger, unknown to Telegram: {ids}"),
    "refunded_at_telegram_only": Message("Refunded at Telegram, not in the ledger: {ids}"),
    "refunded_in_ledger_only": Message("Refunded in the ledger, not at Telegram: {ids}"),
    "amounts_differ": Message("Amounts differ: {ids}"),
}
