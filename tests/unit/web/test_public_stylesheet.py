"""Issue 33: the prospect's pages carry a stylesheet of their own (static/css/public.css), inline,
and it holds every rule they use and no rule they do not. Staff pages load it first, then
app.css (the staff-only rules): each rule lives in one file."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
CSS = ROOT / "static" / "css"

# Every template an anonymous visitor is shown (crm/web/public, crm/web/share, the public
# listing pages of crm/web/listings, the error page) and what they include or import.
PUBLIC_TEMPLATES = sorted(
    [*(TEMPLATES / "public").glob("*.html"), *(TEMPLATES / "share").glob("*.html"),
     *(TEMPLATES / name for name in (
         "base.html", "embed_base.html", "error.html", "_photos.html", "_link_card.html",
         "listings/public.html", "listings/public_list.html", "listings/_facts.html"))])
# The macros of macros.html the public templates call (chips and call_by are staff's).
PUBLIC_MACROS = ("field", "from_message", "radios", "listing_price")
# Set by script on the public pages (static/js/region-picker.js), by a block, or by a
# template expression that the scan below cannot read.
DYNAMIC = {"region-picker", "region-options", "region-name", "region-path", "sr-only",
           "share", "public", "has-error", "card", "form-card", "narrow", "required",
           "success", "error", "warning"}  # the last three: flash categories


def _macro(text: str, name: str) -> str:
    return text.split("{% macro " + name + "(")[1].split("{%- endmacro %}")[0]


def public_classes() -> set[str]:
    texts = [path.read_text() for path in PUBLIC_TEMPLATES]
    macros = (TEMPLATES / "macros.html").read_text()
    texts += [_macro(macros, name) for name in PUBLIC_MACROS]
    found = set(DYNAMIC)
    for text in texts:
        for value in re.findall(r'class="([^"]*)"', text):
            found.update(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", value).split())
    return found


def stylesheet_classes(name: str) -> set[str]:
    text = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.S)
    selectors = re.findall(r"([^{}]+)\{(?=[^{}]*\})", text)  # rule selectors, inside @media too
    return {c for sel in selectors for c in re.findall(r"\.([A-Za-z_][\w-]*)",
                                                          re.sub(r"\[.*?\]", "", sel))}


def test_every_class_of_the_public_pages_that_has_a_rule_has_it_in_the_public_stylesheet():
    used = public_classes()
    only_staff = used & (stylesheet_classes("app.css") - stylesheet_classes("public.css"))
    assert not only_staff, f"styled only in app.css, which visitors do not get: {only_staff}"


def test_the_public_stylesheet_holds_no_rule_for_a_class_the_public_pages_never_use():
    dead = stylesheet_classes("public.css") - public_classes()
    assert not dead, f"rules no public page uses (staff-only rules go in app.css): {dead}"


def test_no_rule_lives_in_both_stylesheets():
    def rules(name: str) -> set[str]:
        text = re.sub(r"/\*.*?\*/", "", (CSS / name).read_text(), flags=re.S)
        return {r.strip() for r in re.findall(r"[^{}]+\{[^{}]*\}", text)}
    assert not rules("public.css") & rules("app.css")
