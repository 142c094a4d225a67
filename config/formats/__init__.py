"""One date and time format for the whole back office, in both languages (FORMAT_MODULE_PATH).

Django's defaults write a time three ways ("Dec. 2, 2026, 2:12 p.m.", "2026年12月2日 14:12",
and our own columns' "2026-12-02 14:12"); staff compare times across lists, histories and
exports, so every one of them reads ``2026-12-02 14:12``, in the reader's time zone."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
