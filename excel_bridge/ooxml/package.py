"""An .xlsx package opened for editing: the zip, its parts, relationships and content types. Parts are
read when first needed; save() writes every part nobody changed byte for byte as it was."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from typing import BinaryIO

from lxml import etree

from .. import zip_parts
from .cells import MAC_EPOCH, WINDOWS_EPOCH, column_letter
from .comments import CT_COMMENTS, CT_VML, REL_COMMENTS, REL_VML, check_drawing, comments_xml, read_comments, vml_xml
from .markup import (
    CT_NS,
    PKG_REL,
    R_NS,
    SHEET_ORDER,
    Unsupported,
    insert_ordered,
    local_name,
    parse,
    q,
    rels_part,
    serialize,
)
from .newsheet import NewSheet
from .sheet import Sheet
from .styles import Styles

REL_SHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
APP_PROPS = "docProps/app.xml"

_TAB_SELECTED = re.compile(rb'\stabSelected="(?:1|true)"')
_FIT_TO_PAGE = re.compile(rb"<(?:\w+:)?pageSetUpPr\b[^>]*\bfitToPage=[\"'](?:1|true)[\"']")


class Package:
    """An opened plain .xlsx (not .xlsm): read parts lazily, edit sheets and styles, save to a new file."""

    def __init__(self, data: bytes) -> None:
        try:
            self._zin = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise Unsupported(f"not a zip package ({exc})") from exc
        self._names = self._zin.namelist()
        self._changed: dict[str, bytes] = {}
        self._removed: set[str] = set()
        self._types = self._parse("[Content_Types].xml")
        main = [o for o in self._types.findall(f"{{{CT_NS}}}Override") if o.get("PartName") == "/xl/workbook.xml"]
        if not main or main[0].get("ContentType") != CT_XLSX_MAIN:
            raise Unsupported("not a plain .xlsx workbook (macro-enabled or unusual layout)")
        self._book = self._parse("xl/workbook.xml")
        self._book_rels = self._parse("xl/_rels/workbook.xml.rels")
        self._sheets = self._book.find(q("sheets"))
        if self._sheets is None:
            raise Unsupported("no sheets")
        props = self._book.find(q("workbookPr"))
        self.epoch = MAC_EPOCH if props is not None and props.get("date1904") in ("1", "true") else WINDOWS_EPOCH
        self.styles = Styles(self._read(self._styles_part()))
        self._open: dict[str, Sheet] = {}
        self._new: list[tuple[int, NewSheet]] = []
        self._deselect = False

    # --- parts ---
    def _read(self, name: str) -> bytes:
        try:
            return self._zin.read(name)
        except KeyError as exc:
            raise Unsupported(f"missing part {name}") from exc
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as exc:
            raise Unsupported(f"unreadable part {name} ({exc})") from exc

    def _parse(self, name: str) -> etree._Element:
        return parse(self._read(name), part=name)

    def _rel_targets(self, rels: etree._Element, base: str) -> dict[str, tuple[str, str]]:
        out = {}
        for rel in rels:
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            out[rel.get("Id")] = (rel.get("Type"), path)
        return out

    def _styles_part(self) -> str:
        for _, (kind, path) in self._rel_targets(self._book_rels, "xl").items():
            if kind.endswith("/styles"):
                return path
        raise Unsupported("no styles part")

    def _sheet_part(self, name: str) -> str:
        targets = self._rel_targets(self._book_rels, "xl")
        for s in self._sheets:
            if s.get("name") == name:
                target = targets.get(s.get(f"{{{R_NS}}}id"))
                if target is None or not target[0].endswith("/worksheet"):
                    raise Unsupported("not a worksheet")
                return target[1]
        raise KeyError(name)

    # --- sheets ---
    def sheet_names(self) -> list[str]:
        return [s.get("name") for s in self._sheets]

    def sheet(self, name: str) -> Sheet:
        """A worksheet by name, opened once (KeyError when there is none of that name)."""
        if name not in self._open:
            part = self._sheet_part(name)
            sheet = Sheet(name, part, self._read(part), epoch=self.epoch)
            self._load_comments(sheet)
            self._open[name] = sheet
        return self._open[name]

    def fits_to_page(self, name: str) -> bool:
        """Whether a sheet has a fit-to-page print setup of its own, known without opening (and so rewriting) it."""
        return bool(_FIT_TO_PAGE.search(self._read(self._sheet_part(name))))

    def has_comments(self, name: str) -> bool:
        """Whether a sheet has a comments part, known without opening the sheet itself."""
        rels = rels_part(self._sheet_part(name))
        return rels in self._names and any(rel.get("Type") == REL_COMMENTS for rel in self._parse(rels))

    def remove_sheet(self, name: str) -> None:
        index = self.sheet_names().index(name)
        part = self._sheet_part(name)
        node = self._sheets[index]
        rid = node.get(f"{{{R_NS}}}id")
        self._sheets.remove(node)
        for rel in list(self._book_rels):
            if rel.get("Id") == rid:
                self._book_rels.remove(rel)
        self._removed.add(part)
        self._open.pop(name, None)
        if rels_part(part) in self._names:
            self._removed.add(rels_part(part))
        for o in list(self._types.findall(f"{{{CT_NS}}}Override")):
            if o.get("PartName") == f"/{part}":
                self._types.remove(o)
        self._shift_local_ids(index, -1)

    def add_sheet(self, sheet: NewSheet, index: int) -> None:
        """A new sheet at position `index` among the sheets (placed when saving)."""
        self._new.append((index, sheet))

    def activate(self, index: int) -> None:
        """Open on this sheet: the workbook's active tab, and no other sheet still marked selected."""
        views = self._book.find(q("bookViews"))
        if views is not None and len(views):
            views[0].set("activeTab", str(index))
            views[0].set("firstSheet", "0")
        self._deselect = True

    def _shift_local_ids(self, index: int, delta: int) -> None:
        names = self._book.find(q("definedNames"))
        for dn in list(names) if names is not None else ():
            local = dn.get("localSheetId")
            if local is None:
                continue
            local_i = int(local)
            if delta < 0 and local_i == index:
                names.remove(dn)
            elif local_i >= index:
                dn.set("localSheetId", str(local_i + delta))
        if names is not None and len(names) == 0:
            self._book.remove(names)

    def _place_new_sheets(self) -> None:
        used_ids = [int(s.get("sheetId")) for s in self._sheets]
        rel_ids = {r.get("Id") for r in self._book_rels}
        n = 1
        for index, sheet in sorted(self._new, key=lambda x: x[0]):
            while f"xl/worksheets/sheet{n}.xml" in self._names and f"xl/worksheets/sheet{n}.xml" not in self._removed \
                    or f"xl/worksheets/sheet{n}.xml" in self._changed:
                n += 1
            part = f"xl/worksheets/sheet{n}.xml"
            self._changed[part] = sheet.xml()
            self._removed.discard(part)
            rid = _new_id(rel_ids)
            rel_ids.add(rid)
            etree.SubElement(self._book_rels, f"{{{PKG_REL}}}Relationship", Id=rid, Type=REL_SHEET,
                             Target=f"worksheets/sheet{n}.xml")
            node = etree.Element(q("sheet"), name=sheet.name, sheetId=str(max(used_ids, default=0) + 1))
            node.set(f"{{{R_NS}}}id", rid)
            used_ids.append(int(node.get("sheetId")))
            self._sheets.insert(index, node)
            self._shift_local_ids(index, +1)
            self._override(f"/{part}", CT_SHEET)
            if sheet.landscape_fit:
                self._print_titles(index, sheet.name)

    def _print_titles(self, index: int, name: str) -> None:
        self._defined_name("_xlnm.Print_Titles", index, f"'{_quoted(name)}'!$1:$1")

    def _defined_name(self, name: str, index: int, text: str) -> None:
        """A sheet-local defined name (a print setting), replacing one of that name on that sheet."""
        names = self._book.find(q("definedNames"))
        if names is None:
            names = etree.Element(q("definedNames"))
            self._sheets.addnext(names)
        for old in names:
            if old.get("name") == name and old.get("localSheetId") == str(index):
                names.remove(old)
        dn = etree.SubElement(names, q("definedName"), name=name, localSheetId=str(index))
        dn.text = text

    def set_print_ranges(self, sheet: str, *, rows: tuple[int, int] | None, columns: tuple[int, int] | None,
                         area: tuple[int, int, int, int] | None) -> None:
        """The rows and columns repeated on every printed page and the print area of an existing sheet (1-based,
        inclusive; area = first row, first column, last row, last column). Call before adding sheets."""
        index = self.sheet_names().index(sheet)
        ref = f"'{_quoted(sheet)}'!"
        titles = [f"{ref}${column_letter(columns[0])}:${column_letter(columns[1])}"] if columns else []
        titles += [f"{ref}${rows[0]}:${rows[1]}"] if rows else []
        if titles:
            self._defined_name("_xlnm.Print_Titles", index, ",".join(titles))
        if area:
            r0, c0, r1, c1 = area
            self._defined_name("_xlnm.Print_Area", index, f"{ref}${column_letter(c0)}${r0}:"
                                                          f"${column_letter(c1)}${r1}")

    # --- comments ---
    def _load_comments(self, sheet: Sheet) -> None:
        if sheet.rels_part not in self._names:
            return
        rels = self._parse(sheet.rels_part)
        for _, (kind, path) in self._rel_targets(rels, posixpath.dirname(sheet.part)).items():
            if kind == REL_COMMENTS:
                sheet.comments = read_comments(self._read(path), part=path)
            elif kind == REL_VML:
                check_drawing(self._read(path))

    def _save_comments(self, sheet: Sheet) -> None:
        rels_name = sheet.rels_part
        rels = self._parse(rels_name) if rels_name in self._names else etree.Element(
            f"{{{PKG_REL}}}Relationships", nsmap={None: PKG_REL})
        old = {kind: (rid, path) for rid, (kind, path) in
               self._rel_targets(rels, posixpath.dirname(sheet.part)).items() if kind in (REL_COMMENTS, REL_VML)}
        for rel in list(rels):
            if rel.get("Type") in (REL_COMMENTS, REL_VML):
                rels.remove(rel)
        for kind in (REL_COMMENTS, REL_VML):
            if kind in old:
                self._removed.add(old[kind][1])
        legacy = sheet.root.find(q("legacyDrawing"))
        if legacy is not None:
            sheet.root.remove(legacy)
        if not sheet.comments:
            self._put_rels(rels_name, rels)
            return
        n = 1
        while f"xl/comments{n}.xml" in self._names or f"xl/comments{n}.xml" in self._changed:
            n += 1
        comments_part, vml_part = f"xl/comments{n}.xml", f"xl/drawings/vmlDrawing{n}.vml"
        self._changed[comments_part] = comments_xml(sheet.comments)
        self._changed[vml_part] = vml_xml(sheet.comments, n)
        ids = {r.get("Id") for r in rels}
        rid_c = _new_id(ids)
        ids.add(rid_c)
        rid_v = _new_id(ids)
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid_c, Type=REL_COMMENTS,
                         Target=posixpath.relpath(comments_part, posixpath.dirname(sheet.part)))
        etree.SubElement(rels, f"{{{PKG_REL}}}Relationship", Id=rid_v, Type=REL_VML,
                         Target=posixpath.relpath(vml_part, posixpath.dirname(sheet.part)))
        self._put_rels(rels_name, rels)
        node = etree.Element(q("legacyDrawing"))
        node.set(f"{{{R_NS}}}id", rid_v)
        insert_ordered(sheet.root, node, SHEET_ORDER)
        self._override(f"/{comments_part}", CT_COMMENTS)
        if not any(d.get("Extension", "").lower() == "vml" for d in self._types.findall(f"{{{CT_NS}}}Default")):
            default = etree.Element(f"{{{CT_NS}}}Default", Extension="vml", ContentType=CT_VML)
            self._types.insert(0, default)

    def _put_rels(self, name: str, rels: etree._Element) -> None:
        if len(rels):
            self._changed[name] = serialize(rels)
            self._removed.discard(name)
        elif name in self._names:
            self._removed.add(name)

    def _override(self, part_name: str, content_type: str) -> None:
        for o in self._types.findall(f"{{{CT_NS}}}Override"):
            if o.get("PartName") == part_name:
                o.set("ContentType", content_type)
                return
        etree.SubElement(self._types, f"{{{CT_NS}}}Override", PartName=part_name, ContentType=content_type)

    # --- saving ---
    def save(self, out: BinaryIO) -> None:
        """Write the edited package; parts nobody changed are copied as they were."""
        self._place_new_sheets()
        for sheet in self._open.values():
            if sheet.comments_changed:
                self._save_comments(sheet)
            if self._deselect:
                sheet.deselect()
            self._changed[sheet.part] = sheet.data()
        if self._deselect:
            targets = self._rel_targets(self._book_rels, "xl")
            for node in self._sheets:
                kind, part = targets.get(node.get(f"{{{R_NS}}}id"), ("", ""))
                if kind == REL_SHEET and part in self._names and part not in self._changed:
                    raw = self._read(part)
                    if _TAB_SELECTED.search(raw):
                        self._changed[part] = _TAB_SELECTED.sub(b"", raw)
        self._changed["xl/workbook.xml"] = serialize(self._book)
        self._changed["xl/_rels/workbook.xml.rels"] = serialize(self._book_rels)
        self._changed[self._styles_part()] = self.styles.data()
        for o in list(self._types.findall(f"{{{CT_NS}}}Override")):  # no content type for a part that is gone
            part = (o.get("PartName") or "").lstrip("/")
            if part in self._removed and part not in self._changed:
                self._types.remove(o)
        self._changed["[Content_Types].xml"] = serialize(self._types)
        if APP_PROPS in self._names:  # sheet titles listed there would no longer match
            app = self._parse(APP_PROPS)
            for child in list(app):
                if local_name(child) in ("TitlesOfParts", "HeadingPairs"):
                    app.remove(child)
            self._changed[APP_PROPS] = serialize(app)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=zip_parts.LEVEL) as zout:
            written = set()
            for name in self._names:
                if name in self._removed or name in written:
                    continue
                written.add(name)
                if name in self._changed:
                    zout.writestr(name, self._changed[name])
                else:
                    zip_parts.copy(zout, self._zin.getinfo(name), self._read(name))
            for name, data in self._changed.items():
                if name not in written and name not in self._removed:
                    zout.writestr(name, data)
                    written.add(name)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.save(out)
        return out.getvalue()


def _quoted(name: str) -> str:
    return name.replace("'", "''")


def _new_id(existing: set[str]) -> str:
    n = 1
    while f"rId{n}" in existing:
        n += 1
    return f"rId{n}"
