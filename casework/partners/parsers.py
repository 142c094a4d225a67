"""The JSON every API body is read with (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

No body of this API nests deeper than an object holding a list; a body nested deeper than
``API_MAX_JSON_DEPTH`` is refused as a 400 on ``body`` before any serializer walks it, and
one nested so deep that Python's parser runs out of stack (a thousand ``[``) is refused the
same way, never a 500. How large a body may be is ``casework.partners.middleware``'s concern: it
is refused before anything reads it.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json


def nests_deeper_than(value, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) has objects or arrays more than ``limit`` levels deep;
    ``{"a": [1]}`` is two deep. Walked without recursion, so any depth is safe to ask about."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class ApiJSONParser(JSONParser):
    """JSON, strict (no NaN or Infinity), nested at most ``API_MAX_JSON_DEPTH`` deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_MAX_JSON_DEPTH
        too_deep = f"The JSON body nests deeper than {limit} levels of objects and arrays."
        try:
            data = json.load(codecs.getreader(encoding)(stream))
        except RecursionError:
            raise ParseError(too_deep) from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if nests_deeper_than(data, limit):
            raise ParseError(too_deep)
        return data
