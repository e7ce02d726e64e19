"""Words that carry no meaning of their own in a caller's request.

The intent matcher leaves them out of content words; the frustration tracker and the
example suggester leave them out when comparing what callers said.
"""

from __future__ import annotations

from typing import Final

STOP_WORDS: Final = frozenset(
    (
        "i me my mine a an the to is am are was were be been it its of for on in at and or "
        "can could would will you your we us our do does did have has had that this these "
        "there what how when where why which just about with from get got some any want "
        "need like know should tell guys right now today tomorrow tonight yesterday morning "
        "yet still again also here"
    ).split()
)
