"""Every sentence Photobot says to people. Short, plain, one emoji at most, next step clear."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from bot.constants import PROMPT_MAX_CHARS
from bot.errors import FailureKind, ProviderError
from bot.media.kinds import MediaKind
from bot.models.limits import Breach, Problem

START = (
    "Hi! I make images, videos and music with AI.\n\n"
    "Send me a photo (or an album) with a caption saying what to change, "
    "for example: “make it a watercolor painting”. No caption? I'll offer styles.\n\n"
    "/imagine <description> - an image from words\n"
    "/edit <instruction> - as a photo's caption, or in reply to a photo\n"
    "/video <description> - a short video; as a photo's caption, it animates the photo\n"
    "/sketch <description> - an image from words, then a video of that image\n"
    "/dance - make a person in a photo move like a video\n"
    "/animate - bring a still to life with a driving video\n"
    "/music <description> - a song; /music alone to write lyrics, style and title\n"
    "/settings - aspect ratio, resolution, video engine, music model\n"
    "/cancel - stop what you started\n"
    "/help - this message"
)
HELP = START
# Telegram's command menu: (command, what it does), in the order shown.
COMMAND_MENU = (
    ("imagine", "An image from a description"),
    ("edit", "Change a photo: use as its caption, or reply to it"),
    ("video", "A short video from words, or from a photo"),
    ("sketch", "An image from words, then a video of it"),
    ("dance", "Make a person in a photo move like a video"),
    ("animate", "Bring a still to life with a driving video"),
    ("music", "A song from a description, or your own lyrics"),
    ("settings", "Aspect ratio, resolution, video engine, music model"),
    ("cancel", "Stop what you started"),
    ("help", "What I can do"),
)

WORKING = "Working on it…"
GENERATING = "Generating your image. This usually takes under a minute."
GENERATING_VIDEO = "Making your video. This takes a few minutes; it will appear here."
GENERATING_MUSIC = "Writing your song. This takes a minute or two; it will appear here."
DONE = "Done. Send another photo any time."  # the result's caption
# A video's or a song's caption: what to send for another one.
DONE_BY_KIND = {
    MediaKind.VIDEO: "Done. Send /video for another one.",
    MediaKind.AUDIO: "Done. Send /music for another song.",
}


def done(kind: MediaKind) -> str:
    """The caption of a job's results."""
    return DONE_BY_KIND.get(kind, DONE)


PICK_STYLE = "Pick a style, or type what you'd like me to do with this photo."
PHOTO_EXPIRED = "That photo is no longer waiting for a prompt. Send it again."
SEND_PHOTO_FIRST = "Send me a photo first, then tell me what to do with it."
STYLE_CHOSEN = "Style: {label}"

NOT_AN_IMAGE = "That file isn't an image. Send a photo, or a JPEG, PNG or WebP file."
UNSUPPORTED_FORMAT = (
    "I can't use {kind} images. Send it as a photo, or as a JPEG, PNG or WebP file."
)
# An image the chosen model cannot take (WebP for some): JPEG and PNG suit every model.
IMAGE_FORMAT_REFUSED = (
    "I can't use that kind of image for this. Send it as a photo, or as a JPEG or PNG file."
)
TOO_BIG_FOR_TELEGRAM = (
    "That file is over 20 MB, the most Telegram lets bots download. "
    "Send a smaller file, or send it as a photo."
)
TOO_BIG_FOR_MODEL = (
    "That image is over {mb} MB, the most the image model accepts. "
    "Send it as a photo instead (Telegram shrinks it)."
)
EMPTY_PROMPT = "The prompt is empty. Describe the change you want, e.g. “turn it into a sketch”."
PROMPT_TOO_LONG = f"That prompt is too long. Keep it under {PROMPT_MAX_CHARS} characters."
TOO_MANY_IN_FLIGHT = "You already have images in progress. Wait for one to finish, then send more."
HOURLY_CAP = "You've reached this hour's limit of images. Please try again later."
DOWNLOAD_FAILED = "I couldn't download your photo from Telegram. Please send it again."
TOO_MANY_PHOTOS = "I can use up to {most} photos at once. Send a smaller album."
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
# The {what} of an ADMIN_ALERT when a job failed for a reason only the operator can fix.
KEY_REFUSED_ALERT = "the {provider} API key was refused"
NO_CREDITS_ALERT = "{provider} credits are used up"
# Why a provider is passed over, as admins read it in an alert and in /stats.
PROVIDER_TROUBLE = {
    FailureKind.MISCONFIGURED: "refused the API key",
    FailureKind.NO_CREDITS: "is out of credits",
    FailureKind.MAINTENANCE: "is down for maintenance",
    FailureKind.BUSY: "is not answering (outage or rate limit)",
}
FAILOVER_ALERT = (
    "Photobot alert: {provider} {trouble}, so new jobs go to {to}; {provider} is tried first "
    "again in {minutes:g} min. Provider said: {reason}"
)
FAILOVER_BACK = "Photobot: {provider} is taking jobs again."


def failover_alert(exc: ProviderError, to: str, minutes: float) -> str:
    trouble = PROVIDER_TROUBLE.get(exc.kind, "failed")
    reason = clean_reason(exc.message) or str(exc.code)
    return FAILOVER_ALERT.format(
        provider=exc.provider, trouble=trouble, to=to, minutes=round(minutes, 1), reason=reason
    )


def failover_back(provider: str) -> str:
    return FAILOVER_BACK.format(provider=provider)


def operator_alert(kind: FailureKind, provider: str) -> str:
    """The {what} of an ADMIN_ALERT for a failure only the operator can fix."""
    template = NO_CREDITS_ALERT if kind is FailureKind.NO_CREDITS else KEY_REFUSED_ALERT
    return template.format(provider=provider)


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
    provider_lines: Sequence[str],
    model_lines: Sequence[str] = (),
) -> str:
    """/stats: the totals, then one line per provider and per model (see the two below)."""
    return "\n".join(
        [
            "Photobot stats",
            f"Users: {users}",
            f"Jobs today: {jobs_today}  (total {jobs_total})",
            f"Succeeded: {succeeded}  Failed: {failed}  In progress: {in_progress}",
            f"Time to result: mean {_secs(mean_s)}, p95 {_secs(p95_s)}",
            "Providers:",
            *provider_lines,
            *(["By model:"] if model_lines else []),
            *model_lines,
        ]
    )


def model_line(
    title: str, started: int, success_rate: float | None, p50_s: float | None, p95_s: float | None
) -> str:
    ok = "n/a" if success_rate is None else f"{success_rate:.0%}"
    jobs = "1 job" if started == 1 else f"{started} jobs"
    return f"  {title}: {jobs}, {ok} succeeded, p50 {_secs(p50_s)}, p95 {_secs(p95_s)}"


def provider_line(
    name: str,
    cooling: tuple[float, FailureKind] | None,
    balance: float | None,
    errors: int,
    submits: int,
) -> str:
    """One provider's state (passed over until when, and why), balance and submit errors over
    the last hour."""
    if cooling is None:
        state = "ok"
    else:
        until = datetime.fromtimestamp(cooling[0], UTC).strftime("%H:%M UTC")
        state = f"passed over until {until} ({PROVIDER_TROUBLE.get(cooling[1], 'failed')})"
    failed = f"{errors} of {submits} submits failed in the last hour"
    return f"  {name.capitalize()}: {state}, balance {_amount(balance)}, {failed}"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def _amount(value: float | None) -> str:
    if value is None:
        return "unavailable"
    return f"{value:g}"


SOMETHING_WRONG = "Something went wrong on my side. Please try again in a moment."
OTHER_MESSAGE = "I work with photos. Send me one with a caption saying what to change."


# --- What to change when an input breaks a model's limit (bot.models.limits.Problem) ---------

_KIND_NAMES = {MediaKind.IMAGE: "photo", MediaKind.VIDEO: "video", MediaKind.AUDIO: "audio file"}
_TEXT_NAMES = {"prompt": "description", "lyrics": "lyrics", "style": "style", "title": "title"}
NOT_A_VIDEO = "That file isn't a video. Send an MP4 or MOV video."
MODEL_UNAVAILABLE = "That isn't available right now. Please try again later."


def limit_text(problem: Problem) -> str:
    """The answer for an input over a limit: which limit, and what to send instead."""
    kind = _KIND_NAMES.get(problem.kind, "file") if problem.kind else "file"
    text = _TEXT_NAMES.get(problem.text, problem.text)
    most = f"{problem.limit:g}"
    match problem.breach:
        case Breach.TOO_MANY if problem.kind is MediaKind.IMAGE:
            return TOO_MANY_PHOTOS.format(most=most)
        case Breach.TOO_MANY:
            return f"Send just {most} {kind}{'s' if problem.limit > 1 else ''} for this."
        case Breach.TOO_FEW:
            return f"This needs a {kind}. Send one, then try again."
        case Breach.FORMAT if problem.kind is MediaKind.VIDEO:
            return "I can't use that video format. Send an MP4 or MOV video."
        case Breach.FORMAT:
            return IMAGE_FORMAT_REFUSED
        case Breach.TOO_BIG if problem.kind is MediaKind.IMAGE:
            return TOO_BIG_FOR_MODEL.format(mb=f"{problem.limit / 2**20:g}")
        case Breach.TOO_BIG:
            return f"That {kind} is over {problem.limit / 2**20:g} MB. Send a smaller one."
        case Breach.TOO_SMALL:
            return f"That {kind} is too small: it needs at least {most} by {most} pixels."
        case Breach.TOO_SHORT | Breach.TOO_LONG:
            return (
                f"That {kind} is {problem.actual:.0f} s long; it needs "
                f"{problem.limit:g} to {problem.limit_high:g} s. Trim it and send it again."
            )
        case Breach.TEXT_MISSING:
            return f"Add a {text}, then send it again."
        case Breach.TEXT_TOO_LONG:
            return f"That {text} is too long. Keep it under {most} characters."
    return NOT_AN_IMAGE


# --- Flows: what each step asks for ------------------------------------------------------------

FLOW_INTROS = {
    "imagine": "Describe the image you want, e.g. “a red fox in the snow”.",
    "edit": "Send the photo (or an album) to edit, with what to change as the caption.",
    "video": "Describe the video you want, or send a photo with /video as its caption.",
    "sketch": "Describe the scene, e.g. “a paper boat on a rainy street”. I'll draw it, "
    "show you the image, then turn it into a video.",
    "dance": "Send a photo of a person and a video of the moves (3 to 30 s), in either order.",
    "animate": "Send a still photo and a video whose motion it should copy, in either order.",
    "music": "Let's write a song. First the lyrics, or the word “instrumental” for no vocals.",
}
FLOW_ASK_TEXT = {
    "prompt": "Now tell me what you'd like, in one message.",
    "lyrics": "Send the lyrics, or the word “instrumental” for a song without vocals.",
    "style": "Now the style, e.g. “dreamy synth-pop, female vocals”.",
    "title": "And a title for the song.",
}
FLOW_ASK_MEDIA = {
    MediaKind.IMAGE: "Got the video. Now send the photo.",
    MediaKind.VIDEO: "Got the photo. Now send the video.",
}
FLOW_WAITING_FOR = "I'm waiting for something else. {ask} Or send /cancel."
FLOW_TIMED_OUT = "Your /{command} timed out after 10 minutes. Send /{command} to start again."
FLOW_VIDEO_AS_FILE = "Send the video as a video, not as a file, so I can see how long it is."
CANCELLED = "Cancelled. Send a command whenever you're ready."
NOTHING_TO_CANCEL = "There was nothing to cancel."
VIDEO_OUTSIDE_FLOW = "To make a photo move like this video, send /dance or /animate first."


# --- Long jobs: what the status message says while they run ------------------------------------

_GENERATING = {MediaKind.VIDEO: GENERATING_VIDEO, MediaKind.AUDIO: GENERATING_MUSIC}
_LYRICS_DONE = "The lyrics are written; now the music."
_FIRST_DONE = "The first track is ready; finishing the second."
_STAGES = {
    "text": _LYRICS_DONE, "text_success": _LYRICS_DONE,
    "first": _FIRST_DONE, "first_success": _FIRST_DONE,
}  # fmt: skip
_PROGRESS = {MediaKind.VIDEO: "Making your video…", MediaKind.AUDIO: "Writing your song…"}


def generating(kind: MediaKind, step: int = 0, steps: int = 1) -> str:
    """The status once the provider has the job (a chain's job: which step is running)."""
    if steps > 1:
        return step_status(kind, step, steps)
    return _GENERATING.get(kind, GENERATING)


def progress(kind: MediaKind, stage: str, elapsed_s: float, step: int = 0, steps: int = 1) -> str:
    """The status while a long job runs: the stage (or step) when known, and the time so far."""
    minutes, seconds = divmod(int(elapsed_s) // 10 * 10, 60)
    so_far = f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
    doing = _STAGES.get(stage, _PROGRESS.get(kind, "Working on it…"))
    if steps > 1:
        doing = step_status(kind, step, steps)
    return f"{doing} {so_far} so far."


# --- Chains (/sketch): one job, its steps in turn ------------------------------------------

_STEP_DOING = {MediaKind.IMAGE: "drawing…", MediaKind.VIDEO: "animating…",
               MediaKind.AUDIO: "composing…"}  # fmt: skip
_PREVIEW = {
    MediaKind.VIDEO: "Here's your image. Next I'll turn it into a video; "
    "it will appear here in a few minutes.",
}
_PREVIEW_ANY = "Here's the first part. The rest is on its way and will appear here."
_STEP_FAILED = "The {output} step failed: {why}"
_STEP_WHY: dict[str, str] = {
    FailureKind.MISCONFIGURED: "the service is misconfigured right now. The admins have been told.",
    FailureKind.NO_CREDITS: "the service is temporarily unavailable.",
    FailureKind.BUSY: "the service is busy.",
    FailureKind.MAINTENANCE: "the service is under maintenance.",
    FailureKind.TIMEOUT: "it took too long, so I stopped waiting.",
    FailureKind.INPUT: "the result of the step before couldn't be used for it.",
    FailureKind.DELIVERY: "the {output} was made but I couldn't fetch it.",
    FailureKind.BAD_RESULT: "the service sent back something that isn't a usable {output}.",
    FailureKind.FAILED: "the service couldn't make it.",
}
_STEP_AGAIN = "Send /{chain} to try again."


def step_status(kind: MediaKind, step: int, steps: int) -> str:
    """Which step of a chain's job is running, e.g. "Step 2 of 2: animating…"."""
    return f"Step {step + 1} of {steps}: {_STEP_DOING.get(kind, 'working…')}"


def preview_caption(following: MediaKind) -> str:
    """The caption of a step's result when another step follows (what comes next)."""
    return _PREVIEW.get(following, _PREVIEW_ANY)


def step_failed(output: MediaKind, kind: str, reason: str, chain: str) -> str:
    """Which step of a chain failed and why; what the earlier steps sent stays in the chat.
    As for single jobs, only a refusal shows the provider's reason."""
    if kind == FailureKind.REJECTED:
        why = (clean_reason(reason) or REJECTED_NO_REASON).rstrip(".") + "."
    else:
        why = _STEP_WHY.get(kind, _STEP_WHY[FailureKind.FAILED]).format(output=output.value)
    text = _STEP_FAILED.format(output=output.value, why=why)
    return f"{text} {_STEP_AGAIN.format(chain=chain)}" if chain else text


# --- Results by kind: videos, tracks, albums and links (bot/jobs/deliver/) ------------------
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
