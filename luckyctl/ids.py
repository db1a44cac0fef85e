"""What an id of the roadmap or the plan may look like (contract: DESIGN §4).

Letters, digits, ``.``, ``_`` and ``-``; no pydantic here, so plan names can be
told from paths before the models are built.
"""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9._-]+$"
_VALID_ID = re.compile(ID_PATTERN)


def is_valid_id(text: str) -> bool:
    return bool(_VALID_ID.match(text))
