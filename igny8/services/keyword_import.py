"""Parse an uploaded keyword export (Semrush, Ahrefs, Keyword Planner, plain lists) into typed rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain, islice

from igny8.services.keywords import KeywordRow, check_row, collapse, normalize_intent

__all__ = ["ImportFileError", "ParsedFile", "parse_keyword_file"]

NO_ROWS = "The file has no keyword rows"

DELIMITERS = ",\t;"
# Enough lines for the sniffer to see a pattern; sniffing the whole file would be slow.
SNIFF_CHARS = 16_384
# Keyword Planner puts a title and a date range above the header; look this far for it.
HEADER_SEARCH = 10
NO_HEADER = "(no header)"

KEYWORD_HEADERS = frozenset({
    "keyword", "keywords", "query", "queries", "top queries", "search term", "search terms",
    "search query", "term", "phrase", "keyword phrase",
})
VOLUME_HEADERS = frozenset({
    "volume", "search volume", "avg. monthly searches", "avg monthly searches", "monthly searches",
    "monthly search volume",
})
# Only used when there is no local volume: Ahrefs exports both and the country figure is what matters.
GLOBAL_VOLUME_HEADERS = frozenset({"global volume", "global search volume"})
DIFFICULTY_HEADERS = frozenset({
    "kd", "kd %", "kd%", "keyword difficulty", "difficulty", "keyword difficulty index",
})
INTENT_HEADERS = frozenset({"intent", "intents", "keyword intent", "keyword intents", "search intent"})
# Fuzzy fallback for unusual keyword headers such as "Keyword text".
KEYWORDISH = ("keyword", "query", "search term")

# Legacy single-byte encodings that read Western European text almost like cp1252 does.
LATIN_LOOKALIKES = frozenset({
    "cp1250", "cp1254", "cp1257", "cp775", "cp850", "cp437", "latin_1", "iso8859_2", "iso8859_4",
    "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_15", "iso8859_16", "mac_latin2", "mac_roman",
})

NULL_VALUES = frozenset({"", "n/a", "na", "-", "--", "–", "—", "null", "none"})

# (magic bytes, what the file looks like, is it a spreadsheet the user can re-export)
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", False),
    (b"\xff\xd8\xff", "a JPEG image", False),
    (b"GIF87a", "a GIF image", False),
    (b"GIF89a", "a GIF image", False),
    (b"%PDF-", "a PDF document", False),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 .xls workbook", True),
    (b"\x1f\x8b", "a gzip archive", False),
    (b"Rar!\x1a\x07", "a RAR archive", False),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", False),
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
COMMA_GROUPS_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
DOT_GROUPS_RE = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
# "1K – 10K" (Keyword Planner); the first part must be non-empty so "-5" stays a negative number.
RANGE_RE = re.compile(r"\s*(\S.*?)\s*[-–—]\s*(\S.*?)\s*")
DASHES_RE = re.compile(r"[-–—]")
# Currency symbols, percent signs and digit-group spaces/apostrophes carry no value.
IGNORED_CHARS = str.maketrans("", "", "$£€¥₹₫₽₩%' ’\u00a0\u2009\u202f\t")
SUFFIXES = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000, "b": 1_000_000_000, "B": 1_000_000_000}
CENT = Decimal("0.01")
CPC_LIMIT = Decimal(100_000_000)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (not a CSV, no keyword column, too many rows, empty)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedFile:
    """The typed rows of an uploaded file, the rows rejected and how the file was read."""

    rows: list[KeywordRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    total_rows: int = 0
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)


def _not_csv(kind: str, spreadsheet: bool = False) -> ImportFileError:
    """The error for an upload that is some other kind of file."""
    if spreadsheet:
        advice = ("open it in Excel or Google Sheets, export it as CSV (File → Save as / Download → CSV) "
                  "and upload the .csv file")
    else:
        advice = "export the keywords as CSV and upload the .csv file"
    return ImportFileError(f"The file is not a CSV text file (it looks like {kind}); {advice}")


def _sniff_binary(data: bytes) -> None:
    """Refuse files whose magic bytes say they are images, documents or archives."""
    for magic, kind, spreadsheet in MAGIC:
        if data.startswith(magic):
            raise _not_csv(kind, spreadsheet)
    if data.startswith(ZIP_MAGIC):
        # Office files are ZIPs; their member names are stored uncompressed, so a byte search finds them.
        if b"xl/" in data:
            raise _not_csv("an Excel .xlsx workbook", True)
        if b"opendocument.spreadsheet" in data:
            raise _not_csv("an OpenDocument .ods spreadsheet", True)
        raise _not_csv("a ZIP archive")


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when NUL bytes sit on one side of each pair, as in ASCII-heavy UTF-16."""
    sample = data[:8192]
    half = len(sample) // 2
    if half == 0 or len(data) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > half * 0.3 and even < half * 0.02:
        return "utf-16-le"
    if even > half * 0.3 and odd < half * 0.02:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read with; binary data raises ImportFileError."""
    _sniff_binary(data)
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise _not_csv("binary data")
    else:
        try:
            return _checked(data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            return _detect(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            f"The file starts like {encoding.upper()} text but is not valid {encoding.upper()}; "
            "save it again as a UTF-8 CSV file"
        ) from None
    return _checked(text), encoding


def _detect(data: bytes) -> tuple[str, str]:
    """Guess a legacy encoding (cp1252, cp1251, …) with charset-normalizer."""
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise _not_csv("binary data")
    if best.encoding in LATIN_LOOKALIKES:
        # On short Western text charset-normalizer ranks cp1250 & co. level with cp1252 ("naïve" → "naďve");
        # Excel on Western Windows writes cp1252, so it wins a tie.
        western = next((match for match in results if match.encoding == "cp1252"), None)
        if western is not None and western.chaos <= best.chaos:
            best = western
    return _checked(str(best)), best.encoding


def _checked(text: str) -> str:
    """``text`` without a BOM; control characters in bulk mean the bytes were not text."""
    text = text.removeprefix("\ufeff").rstrip("\x1a")
    sample = text[:65_536]
    # A couple of strays (a DOS end-of-file ^Z) are tolerated; binary data has them everywhere.
    if "\x00" in sample or len(CONTROL_RE.findall(sample)) > 2 + len(sample) // 100:
        raise _not_csv("binary data")
    return text


def _detect_delimiter(text: str) -> str:
    """Comma, tab or semicolon: csv.Sniffer, checked against (or replaced by) counts in the first line."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        # A cut-off last line (maybe inside quotes) would confuse the sniffer.
        sample = sample[:sample.rindex("\n")]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    # The sniffer prefers "," when a ";" file's decimal commas look just as regular; the header settles it.
    if sniffed is not None and (counts[sniffed] or not any(counts.values())):
        return sniffed
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str):
    """Non-blank CSV records of ``text``, each with the line number it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if record and "".join(record).strip():
                yield start, record
    except csv.Error as exc:
        message = f"The file could not be read as CSV near line {reader.line_num}: {exc}"
        raise ImportFileError(message) from None


def _header_name(cell: str) -> str:
    """Comparable form of a header cell: no BOM, trimmed, lower case, ``_`` as space."""
    return " ".join(cell.replace("\ufeff", "").replace("_", " ").split()).lower()


def _field_of(name: str) -> str | None:
    """Which of our fields a normalised header name feeds, if any."""
    if name in KEYWORD_HEADERS:
        return "keyword"
    if name in VOLUME_HEADERS:
        return "volume"
    if name in GLOBAL_VOLUME_HEADERS:
        return "global volume"
    if name in DIFFICULTY_HEADERS:
        return "difficulty"
    if name == "cpc" or (name.startswith("cpc (") and name.endswith(")")):
        return "cpc"
    if name in INTENT_HEADERS:
        return "intent"
    return None


def _map_header(record: list[str]) -> dict[str, int]:
    """Our field → column index for a header record (first matching column wins)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(record):
        name = _field_of(_header_name(cell))
        if name is not None and name not in found:
            found[name] = index
    global_volume = found.pop("global volume", None)
    if "volume" not in found and global_volume is not None:
        found["volume"] = global_volume
    return found


def _find_header(head: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int]] | None:
    """Position and field columns of a header with a known keyword column among the first records."""
    found = _map_header(head[0][1])
    if "keyword" in found:
        return 0, found
    # Keyword Planner puts a title and a date range above the header; only multi-column lines qualify,
    # so a plain list containing the word "keyword" is not mistaken for one.
    for position, (_, record) in enumerate(head[1:], start=1):
        if len(record) > 1:
            found = _map_header(record)
            if "keyword" in found:
                return position, found
    return None


def _guess_layout(head: list[tuple[int, list[str]]]) -> tuple[int | None, dict[str, int]]:
    """Header position (None: no header) when no known keyword header exists, or ImportFileError."""
    first = head[0][1]
    found = _map_header(first)
    if len(first) > 1:
        for index, cell in enumerate(first):
            name = _header_name(cell)
            if index not in found.values() and any(word in name for word in KEYWORDISH):
                return 0, {**found, "keyword": index}
    elif not found:
        return None, {"keyword": 0}
    headers = ", ".join(repr(cell.strip().replace("\ufeff", "")[:40]) for cell in first[:20])
    more = f" and {len(first) - 20} more" if len(first) > 20 else ""
    raise ImportFileError(
        f"The file has no keyword column (columns found: {headers}{more}); "
        "name the keyword column \"Keyword\""
    )


def _read_layout(text: str) -> tuple[str, list[tuple[int, list[str]]], int | None, dict[str, int]]:
    """Delimiter, first records, header position and field columns of the file."""
    primary = _detect_delimiter(text)
    # A delimiter that reveals a known keyword header beats the sniffer's guess (e.g. under a preamble).
    for delimiter in dict.fromkeys((primary, *DELIMITERS)):
        try:
            head = list(islice(_records(text, delimiter), HEADER_SEARCH))
        except ImportFileError:
            continue
        if head and (found := _find_header(head)) is not None:
            return delimiter, head, *found
    head = list(islice(_records(text, primary), HEADER_SEARCH))
    if not head:
        raise ImportFileError(NO_ROWS)
    return primary, head, *_guess_layout(head)


def _show(raw: str) -> str:
    """A cell value quoted for an error message, shortened when long."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")


def _to_decimal(raw: str, *, decimal_comma: bool, whole: bool) -> Decimal:
    """Read ``1,200``, ``$0.60``, ``45%``, ``1.5K``, ``1K – 10K`` (lower bound), ``0,60`` in ``;`` files."""
    text = raw
    if DASHES_RE.search(text, 1):
        match = RANGE_RE.fullmatch(text)
        if match:
            text = match.group(1)
    text = text.translate(IGNORED_CHARS)
    multiplier = 1
    if text and text[-1] in SUFFIXES:
        multiplier = SUFFIXES[text[-1]]
        text = text[:-1]
    if "," in text and "." in text:
        # Whichever separator comes last is the decimal one: 1,234.50 and 1.234,50.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        # In ";" files "," is the decimal separator, except in a whole-number column (volume 1,200).
        if COMMA_GROUPS_RE.fullmatch(text) and (whole or not decimal_comma):
            text = text.replace(",", "")
        elif decimal_comma and text.count(",") == 1:
            text = text.replace(",", ".")
    elif "." in text and DOT_GROUPS_RE.fullmatch(text) and (text.count(".") > 1 or (decimal_comma and whole)):
        text = text.replace(".", "")
    if not NUMBER_RE.fullmatch(text):
        raise ValueError("is not a number")
    return Decimal(text) * multiplier


def _volume(raw: str, decimal_comma: bool) -> int:
    """A search volume: a whole number."""
    if raw.isdigit() and raw.isascii():
        return int(raw)
    value = _to_decimal(raw, decimal_comma=decimal_comma, whole=True)
    if value != value.to_integral_value():
        raise ValueError("is not a whole number")
    return int(value)


def _difficulty(raw: str, decimal_comma: bool) -> int:
    """A keyword difficulty, rounded to a whole number (``37.0`` → 37, ``45%`` → 45)."""
    if raw.isdigit() and raw.isascii():
        return int(raw)
    value = _to_decimal(raw, decimal_comma=decimal_comma, whole=True)
    return int(value.to_integral_value(ROUND_HALF_UP))


def _cpc(raw: str, decimal_comma: bool) -> Decimal:
    """A cost per click in cents precision (the column is NUMERIC(10, 2))."""
    value = _to_decimal(raw, decimal_comma=decimal_comma, whole=False)
    # Out-of-range values are left for check_row to report; quantizing them could overflow.
    return value.quantize(CENT, ROUND_HALF_UP) if abs(value) < CPC_LIMIT else value


CONVERTERS = (("volume", _volume), ("difficulty", _difficulty), ("cpc", _cpc))


def parse_keyword_file(data: bytes, *, max_rows: int, max_keyword_length: int) -> ParsedFile:
    """Typed, checked rows of an uploaded keyword file; whole-file problems raise ImportFileError."""
    text, encoding = _decode(data)
    delimiter, head, header_at, columns = _read_layout(text)
    records = islice(_records(text, delimiter), len(head), None)
    first_data = 0 if header_at is None else header_at + 1
    too_many = ImportFileError(f"The file has more than {max_rows:,} rows; split it into smaller files")
    # Line breaks bound the record count, so only a file that might be too big gets the cheap counting pass.
    if text.count("\n") + text.count("\r") > max_rows:
        seen = sum(1 for _ in islice(_records(text, delimiter), first_data + max_rows + 1))
        if seen - first_data > max_rows:
            raise too_many

    header = head[header_at][1] if header_at is not None else None
    parsed = ParsedFile(
        encoding=encoding, delimiter=delimiter,
        columns={name: header[index].replace("\ufeff", "").strip() if header else NO_HEADER
                 for name, index in sorted(columns.items(), key=lambda item: item[1])},
    )
    decimal_comma = delimiter == ";"
    keyword_at = columns["keyword"]
    intent_at = columns.get("intent")
    metrics = [(name, columns[name], convert) for name, convert in CONVERTERS if name in columns]
    rows, errors = parsed.rows, parsed.errors
    total = 0
    for line, record in chain(head[first_data:], records):
        total += 1
        if total > max_rows:
            raise too_many
        width = len(record)
        keyword = collapse(record[keyword_at]) if keyword_at < width else ""
        if not keyword:
            errors.append({"row": line, "error": "keyword is empty"})
            continue
        row = KeywordRow(keyword=keyword, row=line)
        problems = []
        for name, index, convert in metrics:
            if index >= width:
                continue
            raw = record[index].strip()
            if raw.lower() in NULL_VALUES:
                continue
            try:
                setattr(row, name, convert(raw, decimal_comma))
            except ValueError as exc:
                problems.append(f"{name}: {_show(raw)} {exc}")
        if intent_at is not None and intent_at < width:
            try:
                row.intent = normalize_intent(record[intent_at].strip() or None)
            except ValueError:
                # An intent we do not know is no reason to lose the keyword.
                row.intent = None
        problems.extend(check_row(row, max_keyword_length).values())
        if problems:
            errors.append({"row": line, "error": "; ".join(problems)})
        else:
            rows.append(row)
    if total == 0:
        raise ImportFileError(NO_ROWS)
    parsed.total_rows = total
    return parsed
