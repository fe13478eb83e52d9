"""The buttons under results: which appear where, and what their data names."""

from __future__ import annotations

from bot import texts
from bot.jobs.buttons import JobAction, parse_button
from bot.jobs.deliver.keyboards import album_markup, result_markup
from bot.jobs.record import Job
from tests.jobs.deliver.test_render import AUDIO, DOCUMENT, LINK, MP3, PNG, ready

JOB = Job(id="ab" * 16, chat_id=1, user_id=1, prompt="p", model="m")


def labels(markup: object) -> list[list[str]]:
    assert markup is not None
    return [[b.text for b in row] for row in markup.inline_keyboard]  # type: ignore[attr-defined]


def test_an_image_sent_as_a_photo_gets_every_button_naming_its_index() -> None:
    markup = result_markup(JOB, ready(3))

    assert labels(markup) == [
        [texts.BUTTON_ORIGINAL(), texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE()],
        [texts.BUTTON_AGAIN()],
    ]
    assert markup is not None
    pressed = [parse_button(str(b.callback_data)) for row in markup.inline_keyboard for b in row]
    assert [(p.action, p.index) for p in pressed if p] == [
        (JobAction.ORIGINAL, 3), (JobAction.EDIT, 3), (JobAction.ANIMATE, 3), (JobAction.AGAIN, 0)
    ]  # fmt: skip
    assert all(p is not None and p.job_id == JOB.id for p in pressed)


def test_a_file_needs_no_original_and_a_track_or_a_link_only_again() -> None:
    assert labels(result_markup(JOB, ready(0, DOCUMENT)))[0] == [
        texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE()
    ]  # fmt: skip
    assert labels(result_markup(JOB, ready(0, AUDIO, MP3))) == [[texts.BUTTON_AGAIN()]]
    assert labels(result_markup(JOB, ready(0, LINK, PNG))) == [[texts.BUTTON_AGAIN()]]


def test_an_albums_buttons_are_numbered_by_image() -> None:
    markup = album_markup(JOB, [ready(0), ready(1)])

    second = [texts.BUTTON_ORIGINAL(), texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE()]
    assert labels(markup)[1] == [f"{label} 2" for label in second]
    assert labels(markup)[-1] == [texts.BUTTON_AGAIN()]


def test_a_chains_preview_gets_no_buttons() -> None:
    preview = Job(
        id="cd" * 16, chat_id=1, user_id=1, prompt="p", model="m", chain="sketch", steps=2
    )

    assert result_markup(preview, ready(0)) is None
    assert album_markup(preview, [ready(0), ready(1)]) is None
