"""Text from incidents (titles, summaries, notes) made inert for each chat product's markup.

An incident's title and notes come from whoever raised the alert, so a chat message must show them as written and
never let them act: no link whose text hides its target, no image fetched from someone's server, no @channel that
wakes everyone, no HTML. Slack has its own escapes (&amp; &lt; &gt;). Mattermost's Markdown and the Adaptive Cards
of Teams have no escape that is also right where a field is shown as plain text, so the text is defused instead: a
zero-width space goes where the markup would start. `]` followed by `(`, `[` or `:` is no longer a link, an image
or a reference; `<` followed by a letter is no tag, autolink or `<at>` mention; `@all` is no mention. The reader sees
the same characters.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
# `]` before what makes it a link target, `<` before what makes it a tag or autolink, `@` at the start of a word.
_MARKUP = re.compile(r"(\](?=[(\[:])|<(?=[A-Za-z/!?])|(?<![\w.+-])@(?=\w))")


def slack(text: str) -> str:
    """Slack mrkdwn: its three control characters, so `<!channel>` or `<http://x|y>` in a title stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _defuse(text: str) -> str:
    return _MARKUP.sub(lambda found: found.group(0) + ZERO_WIDTH_SPACE, text)


def mattermost(text: str) -> str:
    """Mattermost Markdown (and its plain fields): no links, images, HTML or @mentions from incident text."""
    return _defuse(text)


def teams(text: str) -> str:
    """Teams Adaptive Card text: no Markdown links, HTML or <at> mentions from incident text."""
    return _defuse(text)
