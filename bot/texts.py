"""Every sentence Photobot says to people. Short, plain, one emoji at most, next step clear."""

from __future__ import annotations

from bot.constants import PROMPT_MAX_CHARS
from bot.errors import FailureKind

START = (
    "Hi! I turn your photos into new images with AI.\n\n"
    "Send me a photo with a caption saying what to change, "
    "for example: “make it a watercolor painting”.\n"
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

STATS_REFUSED = "Sorry, /stats is for the bot's admins."

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
    """A provider's reason, shortened and stripped of anything that looks like a link."""
    words = [w for w in reason.split() if "://" not in w and not w.startswith("www.")]
    text = " ".join(words).strip()
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1].rstrip() + "…"
    return text


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
    credits: int | None,
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
            f"Kie credits: {'unavailable' if credits is None else credits}",
        ]
    )


SOMETHING_WRONG = "Something went wrong on my side. Please try again in a moment."
OTHER_MESSAGE = "I work with photos. Send me one with a caption saying what to change."
