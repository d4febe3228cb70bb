"""Reading a lead sheet (CSV, or the first sheet of an .xlsx) into rows of text.

Runs in the import task, never in the upload request. What the sheet holds decides, not
what it declares: an .xlsx is streamed cell by cell (its `<dimension>` may claim
A1:XFD1048576 or less than it has), merged ranges are filled from their first cell, and a
number whose digits the spreadsheet rounded (more than 15 of them) is refused, never
kept as a wrong value. What was changed or refused is told in `Table.notes`.
"""
import csv
import io
import itertools
import zipfile
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from crm.inputs.credit_code import normalise_credit_code
from crm.inputs.text import clean_text


class ImportFileError(ValueError):
    pass


# A lead sheet has a few dozen columns. The caps are checked while reading, before a huge
# file can fill the worker's memory: columns per row, characters per cell, and the XLSX's
# uncompressed size (a zip bomb is small on the wire).
MAX_COLUMNS = 100
MAX_CELL_CHARS = 2000
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
# A spreadsheet keeps 15 significant digits of a number (Excel turns the 16th on into 0s
# as it is typed, and a double holds no more): a longer whole number lost digits.
EXACT_DIGITS = 15
# Long numbers named one by one in the report; the rest are counted.
NOTED_CELLS = 50


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    # For the import report: {"merged": cells filled, "long_numbers": ["D3", ...],
    # "long_numbers_count": n} (only the keys that apply).
    notes: dict = field(default_factory=dict)


def read_table(filename: str, data: bytes, max_rows: int) -> Table:
    name = filename.lower()
    notes: dict = {}
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data, max_rows, notes)
    elif name.endswith(".csv") or name.endswith(".txt"):
        rows = _read_csv(data, max_rows)
    else:
        raise ImportFileError("type")
    rows = [r for r in rows if any(cell for cell in r)]
    if not rows:
        raise ImportFileError("empty")
    headers, body = rows[0], rows[1:]
    if len(body) > max_rows:
        raise ImportFileError("too_many")
    width = len(headers)
    return Table(headers, [(r + [""] * width)[:width] for r in body], notes)


def check_type(filename: str, data: bytes) -> None:
    """What the upload request checks before it keeps the file: the type, cheaply."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise ImportFileError("xlsx")
    elif not (name.endswith(".csv") or name.endswith(".txt")):
        raise ImportFileError("type")


class _LongNumber(ValueError):
    pass


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = _number(value)
    else:
        text = str(value)
    if len(text) > MAX_CELL_CHARS:
        raise ImportFileError("too_wide")
    return clean_text(text)


def _number(value: int | float) -> str:
    if isinstance(value, float) and not value.is_integer():
        if abs(value) >= 10 ** EXACT_DIGITS:  # 1e15 + 0.5: past what a double holds exactly
            raise _LongNumber(str(value))
        return str(value)
    whole = int(value)  # 13391219793.0 from a spreadsheet is a phone number
    digits = str(abs(whole))
    if len(digits) <= EXACT_DIGITS:
        return str(whole)
    # Longer: the file may hold the rounded value (9.11100001000012E+17 for a credit code).
    # Kept only if written out digit by digit and a valid credit code (a wrong check
    # character would pass 1 time in 31 by chance); a number cell cannot hold the code's
    # letters anyway, so the report asks for a text column.
    if isinstance(value, int) and whole > 0 and _is_credit_code(digits):
        return digits
    raise _LongNumber(digits)


def _is_credit_code(digits: str) -> bool:
    try:
        return normalise_credit_code(digits)[1] is True
    except ValueError:  # not 18 characters
        return False


def _row(cells) -> list[str]:
    cells = list(itertools.islice(cells, MAX_COLUMNS + 1))
    if len(cells) > MAX_COLUMNS:
        raise ImportFileError("too_wide")
    return [_cell(c) for c in cells]


def _read_csv(data: bytes, max_rows: int) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("encoding")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(MAX_CELL_CHARS * 4)  # the csv module's own guard (bytes-ish)
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    try:
        for row in reader:
            rows.append(_row(row))
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:
        # The csv module's field-size guard fires on a cell far too long.
        raise ImportFileError("too_wide" if "field larger" in str(exc) else "csv") from exc
    return rows


def _read_xlsx(data: bytes, max_rows: int, notes: dict) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise ImportFileError("too_big")
    except zipfile.BadZipFile as exc:
        raise ImportFileError("xlsx") from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a bad file
        raise ImportFileError("xlsx") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if not isinstance(sheet, ReadOnlyWorksheet):
            raise ImportFileError("xlsx")
        try:
            cells, merges = _sheet_cells(book, sheet, max_rows, notes)
        except (ImportFileError, MemoryError):
            raise
        except Exception as exc:  # broken XML, a bad reference, ...
            raise ImportFileError("xlsx") from exc
    finally:
        book.close()
    if not cells:
        return []
    width = max(max(row) for row in cells.values())
    filled = _fill_merged(cells, merges, width)
    if filled:
        notes["merged"] = filled
    return [[row.get(column, "") for column in range(1, width + 1)]
            for _, row in sorted(cells.items())]


def _sheet_cells(book, sheet, max_rows: int, notes: dict):
    """The sheet's non-empty cells as {row: {column: text}}, and its merged ranges.

    openpyxl's own streaming parser, because its read-only worksheet pads every row to
    the declared dimension (6 s of CPU for A1:XFD1048576) and drops the merged ranges,
    while a full load keeps every cell object in memory. Pinned in requirements.txt.
    """
    from openpyxl.worksheet._reader import WorkSheetParser
    source = sheet._get_source()
    try:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)
        cells: dict[int, dict[int, str]] = {}
        long_numbers: list[str] = []
        for number, row in parser.parse():
            kept = {}
            for cell in row:
                if cell["value"] is None or cell["value"] == "":
                    continue  # styled but empty: not part of the real extent
                try:
                    text = _cell(cell["value"])
                except _LongNumber:
                    long_numbers.append(_reference(cell["row"], cell["column"]))
                    continue
                if text:
                    if cell["column"] > MAX_COLUMNS:
                        raise ImportFileError("too_wide")
                    kept[cell["column"]] = text
            if kept:
                cells.setdefault(number, {}).update(kept)
                if len(cells) > max_rows + 1:
                    raise ImportFileError("too_many")
        merges = [m.ref for m in parser.merged_cells.mergeCell] if parser.merged_cells else []
    finally:
        source.close()
    if long_numbers:
        notes["long_numbers"] = long_numbers[:NOTED_CELLS]
        notes["long_numbers_count"] = len(long_numbers)
    return cells, merges


def _reference(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter(column)}{row}"


def _fill_merged(cells: dict[int, dict[int, str]], merges: list[str], width: int) -> int:
    """Give every cell of a merged range the value of its first cell (Excel keeps it there
    only), within the rows that hold something and the columns in use: a range over
    blank rows is a tall cell, not more leads. Returns the number of cells filled."""
    from openpyxl.utils import range_boundaries
    numbers = sorted(cells)
    budget = len(numbers) * width  # ranges that overlap cannot make the work larger
    filled = 0
    for ref in merges:
        try:
            first_col, first_row, last_col, last_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if first_col is None or first_row is None:
            continue  # a whole column or row: not something Excel merges
        value = cells.get(first_row, {}).get(first_col)
        if not value:
            continue
        last_col = min(last_col or first_col, width)
        last_row = last_row or first_row
        for number in numbers[bisect_left(numbers, first_row):bisect_right(numbers, last_row)]:
            row = cells[number]
            for column in range(first_col, last_col + 1):
                budget -= 1
                if budget < 0:
                    raise ImportFileError("xlsx")
                if column not in row:
                    row[column] = value
                    filled += 1
    return filled
