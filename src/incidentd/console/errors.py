"""The API's refusals shown beside the form fields they concern."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidentd.protocol.errors import ServiceError

# Coral's validation messages name the member after its value: "Value 'x…' at 'title' failed to satisfy …";
# other messages quote it alone.
_AT_MEMBER = re.compile(r"at '([A-Za-z][\w.\[\]]*)'")
_MEMBER = re.compile(r"'([A-Za-z][\w.]*)'")


@dataclass
class FormErrors:
    """A form's messages: by field name, and for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    form: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.form)

    @classmethod
    def of(cls, error: ServiceError, members: dict[str, str]) -> FormErrors:
        """The API's message beside the field of the member it names (members maps API member -> form field),
        or above the form when it names none of them."""
        for member in _AT_MEMBER.findall(error.message) + _MEMBER.findall(error.message):
            leaf = member.split(".")[-1].split("[")[0]
            if leaf in members:
                return cls(fields={members[leaf]: error.message})
        return cls(form=error.message)
