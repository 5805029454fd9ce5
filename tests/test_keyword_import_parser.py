"""Unit tests of the keyword file parser: real exports in ../shared/data and small inline files."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from igny8.services.keyword_import import ImportFileError, ParsedFile, parse_keyword_file
from igny8.services.keywords import keyword_key

# shared/ sits next to the project clone (for developers and CI, not users).
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
MAX_LENGTH = 200


def parse(data: bytes, max_rows: int = 1000) -> ParsedFile:
    """Parse with the limits the app uses for keywords (200 characters)."""
    return parse_keyword_file(data, max_rows=max_rows, max_keyword_length=MAX_LENGTH)


def import_error(data: bytes, max_rows: int = 1000) -> str:
    """The message of the ImportFileError that parsing ``data`` raises."""
    with pytest.raises(ImportFileError) as caught:
        parse(data, max_rows)
    return caught.value.message


# ---------------------------------------------------------------------------------------------------
# Real exports. Every number below was computed without the parser, with these one-off commands
# (run in /work/shared/data; gawk 5.2, LC_ALL=C.UTF-8; gkp was first converted with
# `iconv -f UTF-16 -t UTF-8 gkp_vi_toan_utf16.csv | tr -d '\r' > /tmp/gkp.tsv` and read with -F'\t'):
#
#   total_rows / rows:  `tail -n +2 FILE | wc -l` (`wc -l < /tmp/gkp.tsv` minus 1). No file has blank
#       lines or quoted line breaks: `wc -l` = rows + 1 and, with
#       gawk 'BEGIN{FPAT="([^,]*)|(\"[^\"]*\")"} ...', every line has the header's field count.
#   errors: 0 for every file. A gawk profile of each metric column (same FPAT) found only values
#       matching ^[0-9]+$, ^[0-9]*\.[0-9]+$ or blank; difficulty max 100 (`cut`/`sort -n | tail`);
#       the longest keyword is 86 characters (`gawk '{if(length($k)>m)m=length($k)} END{print m}'`).
#   distinct: gawk -v c=KEYWORD_COL 'BEGIN{FPAT=...} NR>1{k=$c; <unquote>; gsub(/[ \t]+/," ",k);
#       <trim>; print tolower(k)}' FILE | sort -u | wc -l  — cross-checked with a python3 stdlib
#       csv.reader script: len({" ".join(r[k].split()).lower() for r in rows[1:]}).
#   first: `sed -n 2p FILE` (gkp: `sed -n 2p /tmp/gkp.tsv`); Semrush multi-intents keep the first.
#   volume_sum / difficulty_count / cpc_count / cpc_sum / intents: gawk over the same columns,
#       NR>1{ if($v!=""){vs+=$v}; if($d!=""){dn++}; if($c!=""){cn++; cs+=$c};
#             if($i!=""){x=$i; gsub(/"/,"",x); split(x,a,","); fi[tolower(a[1])]++} }
#       END{printf "%d %d %d %.2f", vs, dn, cn, cs; for(i in fi) print i, fi[i]}
#   (columns: ahrefs kw=2 vol=5 kd=4 cpc=6; Semrush KMT 6-col kw=1 intent=2 vol=3 kd=4 cpc=5;
#    posthog kw=1 intent=2 vol=3 kd=5 cpc=6; positions kw=1 vol=4 kd=5 cpc=6 intent=16.)
# ---------------------------------------------------------------------------------------------------
EXPECTED = {
    "ahrefs_socks_gb_2022.csv": {
        "total_rows": 5000, "rows": 5000, "errors": 0, "distinct": 5000,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "Keyword", "difficulty": "Difficulty", "volume": "Volume", "cpc": "CPC"},
        "first": ("nike socks", 77000, 1, Decimal("0.6"), None),
        # 1,610 blank CPCs and 2 blank difficulties; "Global volume" must lose to "Volume".
        "volume_sum": 2558750, "difficulty_count": 4998, "cpc_count": 3390, "cpc_sum": Decimal("2020.68"),
        "intents": {},
    },
    "gkp_vi_toan_utf16.csv": {
        "total_rows": 1492, "rows": 1492, "errors": 0, "distinct": 1492,
        "encoding": "utf-16", "delimiter": "\t",
        "columns": {"keyword": "Keyword", "volume": "Avg. monthly searches"},
        "first": ("toán", 90500, None, None, None),
        "volume_sum": 3378640, "difficulty_count": 0, "cpc_count": 0, "cpc_sum": Decimal(0),
        "intents": {},
    },
    "semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv": {
        "total_rows": 962, "rows": 962, "errors": 0, "distinct": 962,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "Keyword", "intent": "Intent", "volume": "Volume",
                    "difficulty": "Keyword Difficulty", "cpc": "CPC (USD)"},
        "first": ("ai code review", 1300, 50, Decimal("6.06"), "commercial"),
        "volume_sum": 12300, "difficulty_count": 65, "cpc_count": 962, "cpc_sum": Decimal("819.96"),
        "intents": {"commercial": 46, "informational": 20},
    },
    "semrush_kmt_posthog_broad-match_us_2026-05-01.csv": {
        "total_rows": 1077, "rows": 1077, "errors": 0, "distinct": 1077,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "Keyword", "intent": "Intent", "volume": "Volume",
                    "difficulty": "Keyword Difficulty", "cpc": "CPC (USD)"},
        "first": ("posthog", 18100, 69, Decimal("4.05"), "navigational"),
        "volume_sum": 36830, "difficulty_count": 94, "cpc_count": 1077, "cpc_sum": Decimal("1487.36"),
        "intents": {"navigational": 42, "informational": 45, "commercial": 7, "transactional": 1},
    },
    "semrush_kmt_shopware_broad-match_us_2026-04-30.csv": {
        "total_rows": 5601, "rows": 5601, "errors": 0, "distinct": 5601,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "Keyword", "intent": "Intent", "volume": "Volume",
                    "difficulty": "Keyword Difficulty", "cpc": "CPC (USD)"},
        "first": ("shopware login", 4400, 26, Decimal("8.09"), "navigational"),
        "volume_sum": 47010, "difficulty_count": 188, "cpc_count": 5601, "cpc_sum": Decimal("492.26"),
        "intents": {"informational": 141, "commercial": 22, "navigational": 20, "transactional": 7},
    },
    "semrush_positions_health_us_2023.csv": {
        # One row per ranking URL: 701 rows, 603 distinct keywords; the parser keeps duplicates.
        "total_rows": 701, "rows": 701, "errors": 0, "distinct": 603,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "Keyword", "volume": "Search Volume", "difficulty": "Keyword Difficulty",
                    "cpc": "CPC", "intent": "Keyword Intents"},
        "first": ("honey and salt pre workout", 2900, 18, Decimal("1.26"), "informational"),
        "volume_sum": 1464500, "difficulty_count": 701, "cpc_count": 701, "cpc_sum": Decimal("1757.26"),
        "intents": {"informational": 569, "commercial": 132},
    },
    "sump_pump_keywords_27665.csv": {
        "total_rows": 27665, "rows": 27665, "errors": 0, "distinct": 27665,
        "encoding": "utf-8", "delimiter": ",",
        "columns": {"keyword": "keyword"},
        "first": ("low watt sump pump", None, None, None, None),
        "volume_sum": 0, "difficulty_count": 0, "cpc_count": 0, "cpc_sum": Decimal(0),
        "intents": {},
    },
}

needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"{DATA_DIR} (real exports) is not available")


@needs_data
def test_every_real_export_has_an_expectation():
    """A new file in the data folder must come with hand-computed numbers here."""
    assert {path.name for path in DATA_DIR.glob("*.csv")} == set(EXPECTED)


@needs_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_export_parses_to_independently_counted_rows(name):
    """Counts, detected format, first row and column aggregates match the gawk/iconv figures."""
    expected = EXPECTED[name]
    parsed = parse((DATA_DIR / name).read_bytes(), max_rows=50_000)

    assert parsed.total_rows == expected["total_rows"]
    assert len(parsed.rows) == expected["rows"]
    assert len(parsed.errors) == expected["errors"]
    assert len({keyword_key(row.keyword) for row in parsed.rows}) == expected["distinct"]
    assert parsed.encoding == expected["encoding"]
    assert parsed.delimiter == expected["delimiter"]
    assert parsed.columns == expected["columns"]

    first = parsed.rows[0]
    assert (first.keyword, first.volume, first.difficulty, first.cpc, first.intent) == expected["first"]
    # No blank lines or quoted line breaks in these files, so rows sit on lines 2..N+1.
    assert first.row == 2
    assert parsed.rows[-1].row == expected["total_rows"] + 1

    assert sum(row.volume or 0 for row in parsed.rows) == expected["volume_sum"]
    assert sum(row.difficulty is not None for row in parsed.rows) == expected["difficulty_count"]
    assert sum(row.cpc is not None for row in parsed.rows) == expected["cpc_count"]
    assert sum(row.cpc or 0 for row in parsed.rows) == expected["cpc_sum"]
    intents: dict[str, int] = {}
    for row in parsed.rows:
        if row.intent is not None:
            intents[row.intent] = intents.get(row.intent, 0) + 1
    assert intents == expected["intents"]


@needs_data
def test_real_export_over_the_row_limit_is_refused():
    """The limit applies to real files too (27,665 rows against a 10,000 limit)."""
    data = (DATA_DIR / "sump_pump_keywords_27665.csv").read_bytes()
    with pytest.raises(ImportFileError, match="more than 10,000 rows"):
        parse(data, max_rows=10_000)


# ---------------------------------------------------------------------------------------------------
# Encodings and binary files
# ---------------------------------------------------------------------------------------------------
def test_utf8_bom_is_detected_and_stripped_from_the_first_header():
    """Excel's "CSV UTF-8" starts with a BOM; the first header must still read as "Keyword"."""
    parsed = parse("Keyword,Volume\ncafé crème,10\n".encode("utf-8-sig"))
    assert parsed.encoding == "utf-8-sig"
    assert parsed.columns == {"keyword": "Keyword", "volume": "Volume"}
    assert [(row.keyword, row.volume) for row in parsed.rows] == [("café crème", 10)]


def test_utf16_be_with_bom_reads_tab_separated_text():
    """Big-endian UTF-16 with its BOM decodes like the little-endian Keyword Planner export."""
    data = "Keyword\tAvg. monthly searches\r\ntoán lớp 6\t2400\r\n".encode("utf-16-be")
    parsed = parse(b"\xfe\xff" + data)
    assert parsed.encoding == "utf-16"
    assert parsed.delimiter == "\t"
    assert [(row.keyword, row.volume) for row in parsed.rows] == [("toán lớp 6", 2400)]


def test_utf16_le_with_bom_reads_tab_separated_text():
    """Keyword Planner's own format: UTF-16LE BOM, tabs, CRLF."""
    parsed = parse("Keyword\tAvg. monthly searches\r\ntoán\t90500\r\n".encode("utf-16"))
    assert parsed.encoding == "utf-16"
    assert [(row.keyword, row.volume) for row in parsed.rows] == [("toán", 90500)]


def test_legacy_windows_encoding_is_detected_with_charset_normalizer():
    """Non-UTF-8 bytes (Excel's cp1252 CSV) are decoded, not rejected or garbled."""
    text = "Keyword,Volume\ncafé au lait,10\nnaïve art,20\ncrème brûlée recipe,30\n"
    parsed = parse(text.encode("cp1252"))
    assert parsed.encoding == "cp1252"
    assert [row.keyword for row in parsed.rows] == ["café au lait", "naïve art", "crème brûlée recipe"]


@pytest.mark.parametrize(("data", "kind"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "PNG"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "GIF"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
])
def test_image_or_pdf_upload_is_refused_naming_what_it_looks_like(data, kind):
    """Magic bytes of common non-CSV uploads give a message that says what the file is."""
    message = import_error(data)
    assert "not a CSV text file" in message
    assert kind in message


def test_xlsx_upload_is_refused_with_advice_to_export_as_csv():
    """An Excel workbook is a ZIP with xl/ members; the user is told to export it as CSV."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    message = import_error(buffer.getvalue())
    assert "Excel" in message
    assert "export it as CSV" in message


def test_plain_zip_upload_is_refused_as_a_zip_archive():
    """A ZIP that is not a workbook is named as an archive and the CSV export is asked for."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("keywords.csv", "Keyword\nsocks\n")
    message = import_error(buffer.getvalue())
    assert "ZIP archive" in message
    assert "CSV" in message


def test_nul_bytes_outside_utf16_are_refused_as_binary():
    """Random binary content is not guessed into some legacy encoding."""
    assert "binary data" in import_error(bytes(range(256)) * 8)


# ---------------------------------------------------------------------------------------------------
# Delimiters and quoting
# ---------------------------------------------------------------------------------------------------
def test_semicolon_file_reads_decimal_comma_cpc():
    """European exports: ";" separates fields, so "," is the decimal separator of cpc."""
    parsed = parse(b"Keyword;Volume;CPC\nsocks;1200;0,60\nwool socks;300;1,25\n")
    assert parsed.delimiter == ";"
    assert [(row.keyword, row.volume, row.cpc) for row in parsed.rows] == [
        ("socks", 1200, Decimal("0.60")), ("wool socks", 300, Decimal("1.25")),
    ]


def test_semicolon_file_reads_dot_thousands_in_volume():
    """In a ";" file "1.200" is twelve hundred searches, not 1.2."""
    parsed = parse(b"Keyword;Volume;CPC\nsocks;1.200;1.234,50\n")
    assert (parsed.rows[0].volume, parsed.rows[0].cpc) == (1200, Decimal("1234.50"))


def test_semicolon_file_whose_every_row_has_a_decimal_comma_is_still_semicolon():
    """The sniffer alone would pick "," when every data line has exactly one; the header decides."""
    body = "".join(f"kw {i};{i * 10};0,{i + 10}\n" for i in range(40))
    parsed = parse(("Keyword;Volume;CPC\n" + body).encode())
    assert parsed.delimiter == ";"
    assert len(parsed.rows) == 40
    assert parsed.rows[1].cpc == Decimal("0.11")


def test_tab_separated_file_is_detected():
    """Tabs as delimiter, with commas inside a field left alone."""
    parsed = parse(b"Keyword\tVolume\tKD\nsocks, wool\t1,200\t12\n")
    assert parsed.delimiter == "\t"
    assert [(row.keyword, row.volume, row.difficulty) for row in parsed.rows] == [("socks, wool", 1200, 12)]


def test_quoted_fields_keep_embedded_delimiters_and_newlines():
    """Semrush quotes SERP feature and Trend lists; a quoted line break does not start a new row."""
    data = (
        b'Keyword,Intent,Volume,Trend,Keyword Difficulty,CPC (USD),SERP Features\n'
        b'"socks, wool",Commercial,720,"0.54,0.44,1.00",27,4.74,"Sitelinks, Video"\n'
        b'"two\nline keyword",Informational,10,"1.00",5,0.00,\n'
        b'plain,Navigational,20,"0.10",6,0.10,"Video"\n'
    )
    parsed = parse(data)
    assert parsed.delimiter == ","
    assert [(row.keyword, row.volume, row.difficulty, row.row) for row in parsed.rows] == [
        ("socks, wool", 720, 27, 2), ("two line keyword", 10, 5, 3), ("plain", 20, 6, 5),
    ]


# ---------------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------------
def test_header_names_match_case_insensitively_and_trimmed():
    """Header cells with odd case and spaces still map to our fields."""
    parsed = parse(b" KEYWORD , search volume ,kd%,Cpc (GBP), Search Intent \n"
                   b"socks,10,5,1.20,informational\n")
    assert parsed.columns == {"keyword": "KEYWORD", "volume": "search volume", "difficulty": "kd%",
                              "cpc": "Cpc (GBP)", "intent": "Search Intent"}
    row = parsed.rows[0]
    assert (row.volume, row.difficulty, row.cpc, row.intent) == (10, 5, Decimal("1.20"), "informational")


def test_global_volume_is_used_only_without_a_country_volume():
    """Ahrefs has both; the country "Volume" wins, "Global volume" fills in when alone."""
    both = parse(b"Keyword,Global volume,Volume\nsocks,900,100\n")
    alone = parse(b"Keyword,Global volume\nsocks,900\n")
    assert both.rows[0].volume == 100
    assert alone.rows[0].volume == 900
    assert alone.columns == {"keyword": "Keyword", "volume": "Global volume"}


def test_top_of_page_bid_is_not_taken_as_cpc():
    """Keyword Planner bid ranges are not a CPC; the column is ignored."""
    parsed = parse(b"Keyword,Top of page bid (low range),Top of page bid (high range)\nsocks,0.10,0.50\n")
    assert parsed.columns == {"keyword": "Keyword"}
    assert parsed.rows[0].cpc is None


def test_keyword_planner_preamble_lines_above_the_header_are_skipped():
    """Keyword Planner exports start with a title and a date range line before the header."""
    text = (
        "Keyword Stats 2019-06-12 at 08_15_47\r\nJune 1, 2018 - May 31, 2019\r\n"
        "Keyword\tCurrency\tAvg. monthly searches\tTop of page bid (high range)\r\n"
        "socks\tGBP\t1K – 10K\t0.50\r\n"
    )
    parsed = parse(text.encode("utf-16"))
    assert parsed.delimiter == "\t"
    assert [(row.keyword, row.volume, row.cpc, row.row) for row in parsed.rows] == [("socks", 1000, None, 4)]
    assert parsed.total_rows == 1


def test_id_keyword_list_uses_the_keyword_column():
    """The plain ``id,keyword`` list format imports the keyword column only."""
    parsed = parse(b"id,keyword\n1,low watt sump pump\n2,sump pump to pump oil\n")
    assert parsed.columns == {"keyword": "keyword"}
    assert [row.keyword for row in parsed.rows] == ["low watt sump pump", "sump pump to pump oil"]


def test_headerless_single_column_list_imports_every_line():
    """A bare list: the first line is a keyword too, rows numbered from line 1."""
    parsed = parse(b"seo tools\nkeyword research\n\nrank tracker\n")
    assert [(row.keyword, row.row) for row in parsed.rows] == [
        ("seo tools", 1), ("keyword research", 2), ("rank tracker", 4),
    ]
    assert parsed.total_rows == 3


def test_missing_keyword_column_error_lists_the_headers_found():
    """The user sees which columns we did find, so they can rename one."""
    message = import_error(b"Phrase ID,Volume,CPC\n1,10,0.5\n")
    assert "no keyword column" in message
    for header in ("'Phrase ID'", "'Volume'", "'CPC'"):
        assert header in message


def test_single_column_of_only_volume_is_not_taken_for_keywords():
    """A one-column file whose header is a known metric has no keyword column."""
    assert "no keyword column" in import_error(b"Volume\n10\n20\n")


# ---------------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------------
def test_na_dash_null_and_blank_metrics_become_none():
    """Missing-value markers of the various tools are empty metrics, not errors."""
    parsed = parse(b"Keyword,Volume,KD,CPC,Intent\na,n/a,N/A,-,\nb,--,null,,n/a\nc,,,N/A,-\n")
    assert parsed.errors == []
    assert [(row.volume, row.difficulty, row.cpc, row.intent) for row in parsed.rows] == [(None,) * 4] * 3


def test_thousands_separators_in_volume_are_accepted():
    """``1,200`` (quoted in a comma file), ``1 200`` and ``1,234,567`` are whole numbers."""
    parsed = parse(b'Keyword,Volume\na,"1,200"\nb,1 200\nc,"1,234,567"\n')
    assert [row.volume for row in parsed.rows] == [1200, 1200, 1234567]


def test_kd_percent_header_and_percent_values_give_whole_difficulty():
    """Ahrefs-style ``KD %`` with ``45%``; a float like ``37.0`` is an int."""
    parsed = parse(b"Keyword,KD %\na,45%\nb,37.0\nc,12.6\n")
    assert parsed.columns == {"keyword": "Keyword", "difficulty": "KD %"}
    assert [row.difficulty for row in parsed.rows] == [45, 37, 13]


def test_currency_symbols_are_stripped_from_cpc():
    """``$0.60`` and ``£1.20`` are amounts; cpc keeps cents precision."""
    parsed = parse("Keyword,CPC (USD)\na,$0.60\nb,£1.20\nc,€2\n".encode())
    assert [row.cpc for row in parsed.rows] == [Decimal("0.60"), Decimal("1.20"), Decimal("2.00")]


def test_keyword_planner_ranges_take_the_lower_bound():
    """``1K – 10K`` → 1000, ``10K – 100K`` → 10000, ``1M – 10M`` → 1000000, ``10 - 100`` → 10."""
    text = "Keyword\tAvg. monthly searches\na\t1K – 10K\nb\t10K – 100K\nc\t1M – 10M\nd\t10 - 100\n"
    parsed = parse(text.encode())
    assert [row.volume for row in parsed.rows] == [1000, 10000, 1000000, 10]


def test_multi_valued_intent_keeps_the_first():
    """Semrush lists several intents; the first is the keyword's intent."""
    parsed = parse(b'Keyword,Keyword Intents\na,"Navigational, Transactional"\n'
                   b'b,"informational, commercial"\n')
    assert [row.intent for row in parsed.rows] == ["navigational", "informational"]


def test_unknown_intent_becomes_none_and_keeps_the_row():
    """An intent we do not know is dropped, never the keyword."""
    parsed = parse(b"Keyword,Intent\nsocks,Local\nshoes,Commercial\n")
    assert parsed.errors == []
    assert [(row.keyword, row.intent) for row in parsed.rows] == [("socks", None), ("shoes", "commercial")]


def test_overlong_keyword_is_a_row_error_and_other_rows_survive():
    """A 10,000-character keyword is rejected with its line number; its neighbours import."""
    data = b"Keyword,Volume\nfirst,1\n" + b"x" * 10_000 + b",2\nlast,3\n"
    parsed = parse(data)
    assert [row.keyword for row in parsed.rows] == ["first", "last"]
    assert parsed.errors == [{"row": 3, "error": "keyword is longer than 200 characters"}]
    assert parsed.total_rows == 3


def test_negative_volume_is_a_row_error():
    """Range checks come from check_row and reject the row."""
    parsed = parse(b"Keyword,Volume\nsocks,-5\nshoes,5\n")
    assert parsed.errors == [{"row": 2, "error": "volume must be zero or more"}]
    assert [row.keyword for row in parsed.rows] == ["shoes"]


def test_difficulty_over_100_is_a_row_error():
    """check_row's difficulty range applies to imported values."""
    parsed = parse(b"Keyword,KD\nsocks,101\n")
    assert parsed.errors == [{"row": 2, "error": "difficulty must be between 0 and 100"}]


def test_non_numeric_volume_is_a_row_error_quoting_the_value():
    """``abc`` in volume rejects the row with a message naming field and value."""
    parsed = parse(b"Keyword,Volume\nsocks,abc\nshoes,5\n")
    assert parsed.errors == [{"row": 2, "error": "volume: 'abc' is not a number"}]
    assert [row.keyword for row in parsed.rows] == ["shoes"]


def test_several_problems_in_one_row_are_reported_together():
    """One error entry per row, all its field messages joined."""
    parsed = parse(b"Keyword,Volume,CPC\nsocks,abc,xyz\n")
    assert parsed.errors == [{"row": 2, "error": "volume: 'abc' is not a number; cpc: 'xyz' is not a number"}]


def test_fractional_volume_is_a_row_error():
    """Volumes are counts; ``1.5`` is not one."""
    parsed = parse(b"Keyword,Volume\nsocks,1.5\n")
    assert parsed.errors == [{"row": 2, "error": "volume: '1.5' is not a whole number"}]


def test_blank_keyword_is_a_row_error_but_blank_lines_are_skipped():
    """A row with metrics and no keyword is reported; an empty line is neither counted nor reported."""
    parsed = parse(b"Keyword,Volume\n\nsocks,1\n,5\n   \n,,\nshoes,2\n")
    assert parsed.errors == [{"row": 4, "error": "keyword is empty"}]
    assert [(row.keyword, row.row) for row in parsed.rows] == [("socks", 3), ("shoes", 7)]
    assert parsed.total_rows == 3


def test_keyword_whitespace_is_collapsed():
    """Keywords are stored trimmed with single spaces."""
    parsed = parse(b'Keyword\n"  wool   socks \t"\n')
    assert parsed.rows[0].keyword == "wool socks"


def test_duplicate_keywords_are_all_kept():
    """Duplicates are counted by the service, so the parser returns every valid row."""
    parsed = parse(b"Keyword,Volume\nsocks,1\nSocks,2\nsocks ,3\n")
    assert [row.volume for row in parsed.rows] == [1, 2, 3]


# ---------------------------------------------------------------------------------------------------
# Whole-file problems
# ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"\n\r\n  \n", "\ufeff".encode()])
def test_empty_file_is_refused(data):
    """Nothing to import is a file error, not an empty success."""
    assert import_error(data) == "The file has no keyword rows"


def test_header_only_file_is_refused():
    """A header without data rows has no keyword rows."""
    assert import_error(b"Keyword,Volume,KD\n\n") == "The file has no keyword rows"


def test_more_rows_than_the_limit_is_refused():
    """The limit counts data rows; the header and blank lines do not count."""
    rows = b"".join(b"kw %d,1\n" % i for i in range(11))
    message = import_error(b"Keyword,Volume\n" + rows, max_rows=10)
    assert message == "The file has more than 10 rows; split it into smaller files"


def test_exactly_the_row_limit_is_accepted():
    """A file at the limit, with blank lines that do not count, is fine."""
    rows = b"".join(b"kw %d,1\n\n" % i for i in range(10))
    assert parse(b"Keyword,Volume\n" + rows, max_rows=10).total_rows == 10


def test_row_limit_applies_to_carriage_return_only_files():
    """Old Mac line endings do not slip past the limit."""
    rows = b"".join(b"kw %d\r" % i for i in range(11))
    assert "more than 10 rows" in import_error(b"Keyword\r" + rows, max_rows=10)
