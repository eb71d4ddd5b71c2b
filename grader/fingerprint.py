"""A fingerprint of a submission's graded source files, blind to whitespace and comments.

Two submissions with the same fingerprint have the same graded code token for
token: a signal for the instructor to look, never proof of copying (a class
may start from the same template, or a correct short answer may have one
natural form).
"""

from __future__ import annotations

import hashlib
import io
import re
import tokenize
from pathlib import Path

# Tokens that carry no code: comments and line breaks. INDENT/DEDENT stay
# (as markers, not widths), so re-indenting with tabs or 2 spaces is ignored
# but moving a statement out of a loop is not.
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.ENDMARKER}
_COMMENT = re.compile(r"#[^\n]*")


def normalise_source(text: str) -> str:
    """Python source with comments removed and all whitespace reduced to single spaces.

    Source that does not tokenize (a syntax error) falls back to dropping
    ``#`` comments and collapsing whitespace, so broken submissions still compare.
    """
    try:
        tokens = [tok.string if tok.type not in (tokenize.INDENT, tokenize.DEDENT) else tokenize.tok_name[tok.type]
                  for tok in tokenize.generate_tokens(io.StringIO(text).readline) if tok.type not in _SKIP]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return " ".join(_COMMENT.sub("", text).split())
    return " ".join(tokens)


def source_fingerprint(folder: Path, modules: tuple[str, ...]) -> str | None:
    """SHA-256 hex of the normalised ``<module>.py`` files of ``folder`` (in module order), or None.

    None when no graded file exists: empty submissions are not "identical".
    """
    digest = hashlib.sha256()
    found = False
    for module in modules:
        path = folder / f"{module}.py"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = None
        digest.update(module.encode() + b"\0")
        if text is not None:
            found = True
            digest.update(normalise_source(text).encode("utf-8"))
        digest.update(b"\1")
    return digest.hexdigest() if found else None
