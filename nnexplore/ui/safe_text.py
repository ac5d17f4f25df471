"""Text a learner typed, on screen: never as markup.

Nothing a learner types is rendered as HTML or markdown. What they typed is
shown only as numbers (in tables) or verbatim in ``st.code``; a warning about
it is our own words, escaped before ``st.warning`` renders it as markdown.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'^=,;/%@?])")


def plain_text(text: str) -> str:
    """``text`` with every markdown-active character backslash-escaped.

    Streamlit renders ``st.warning``/``st.info`` bodies as markdown (links,
    images, colour directives, LaTeX between dollars). Escaping each ASCII
    punctuation mark makes the message display exactly as written, whatever
    a learner typed into it.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def split_quoted(problem: str) -> tuple[str, str | None]:
    """Take the learner's own text out of a parse_vector message.

    ``'"banana" is not a number. ...'`` becomes ``('The part shown below is
    not a number. ...', 'banana')``. Markdown escaping is not enough for
    typed text (GitHub-style markdown still turns a bare web address into a
    link), so the quoted part is shown apart, in ``st.code``. The quoted
    piece never holds whitespace (parse_vector splits on it), so the first
    '" ' ends it.
    """
    if problem.startswith('"') and '" ' in problem:
        quoted, rest = problem[1:].split('" ', 1)
        return f"The part shown below {rest}", quoted
    return problem, None


def plain_words(markdown: str) -> str:
    """A sentence written for markdown (labels escaped by ``plain_text``, italics in ``*``) as the
    plain words it shows: for a chart, which draws text as it is."""
    return re.sub(r"\\(.)", r"\1", re.sub(r"(?<!\\)\*", "", markdown))
