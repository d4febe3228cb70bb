"""What a prospect's phone downloads and waits for, page by page, beside a bare HTML form.

Usage:  .venv/bin/python bench/page_weight.py [--runs 3] [--lcp] [--json]

A throwaway SQLite app (three public listings with a 1600x1200 photo each, a source site, an
adviser's /r/ page) served by werkzeug on 127.0.0.1, and Debian's chromium (Playwright, as
tests/browser) as a phone: 375x812 at 3x, WeChat's Android user agent, slow 4G by CDP
(150 ms RTT, 1.6 Mbps down, 750 kbps up) and the CPU 4x slower. For each page:

- cold: a fresh browser context (empty cache): bytes on the wire and requests;
- warm: the same page opened again in that context, as a prospect coming back: bytes and
  requests that still reach the network (a 304 counts: it is a round trip);
- first and largest contentful paint of the cold view (PerformanceObserver), the median of
  --runs cold views (each in a fresh context);
- axe-core (tests/browser/vendor/axe.min.js) serious + critical findings;
- with --lcp, the largest paint's image of the last cold view: its file, KB, and when it
  was asked for, its first byte came and it was done, and when the page's HTML was in
  (ms after navigation start).

The "bare form" is the floor: a single HTML page with a labelled form, no CSS, no script.
The figures depend on the machine (shared, 2 cores, other work running): compare pages of
one run, not runs on different days.
"""
import io
import json
import statistics
import sys
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 14; V2307A Build/UP1A.231005.007; wv) "
             "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 "
             "Mobile Safari/537.36 XWEB/1300259 MMWEBSDK/20241103 MMWEBID/6533 "
             "MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 Weixin NetType/4G "
             "Language/zh_CN ABI/arm64")
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8,
           "uploadThroughput": 750e3 / 8}
BARE_FORM = ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             "<title>询盘</title></head><body><main><h1>告诉我们您的场地需求</h1>"
             "<form method='post'><p><label>联系人 <input name='n' autocomplete='name'></label></p>"
             "<p><label>手机 <input name='m' type='tel' autocomplete='tel'></label></p>"
             "<p><button>提交</button></p></form></main></body></html>").encode()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PAINTS = """() => new Promise(done => {
  const out = {fcp: null, lcp: null, lcp_url: null};
  new PerformanceObserver(l => { for (const e of l.getEntries())
    if (e.name === 'first-contentful-paint') out.fcp = e.startTime; })
    .observe({type: 'paint', buffered: true});
  new PerformanceObserver(l => { for (const e of l.getEntries()) {
      out.lcp = e.startTime; out.lcp_url = e.url || null; } })
    .observe({type: 'largest-contentful-paint', buffered: true});
  setTimeout(() => {
    // The largest paint's image, if it is one: its bytes and when it was asked for and came.
    const r = out.lcp_url && performance.getEntriesByName(out.lcp_url)[0];
    const html = performance.getEntriesByType('navigation')[0];
    if (r) out.lcp_image = {kb: r.encodedBodySize / 1024, start: r.startTime,
                            first_byte: r.responseStart, end: r.responseEnd,
                            html_end: html ? html.responseEnd : 0};
    done(out); }, 300);
})"""
AXE_RUN = """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
  .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => v.id + ' (' + v.nodes.length + ')')"""


def _photo(seed: int) -> bytes:
    """A photo-like JPEG (gradients and shapes, not noise): about what a phone's shot weighs
    once the app has made its 1600 px web copy."""
    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    for y in range(1200):
        draw.line([(0, y), (1600, y)], fill=(90 + y // 12, 120 + seed * 20, 160 - y // 10))
    for i in range(40):
        x, y = (i * 97 + seed * 31) % 1500, (i * 53 + seed * 17) % 1100
        draw.rectangle([x, y, x + 80 + i * 3, y + 60 + i * 2],
                       fill=((i * 40) % 255, (i * 70 + seed) % 255, (i * 20) % 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def build_app(folder: Path):
    from config import TestConfig
    from crm import create_app
    from crm.extensions import db
    from crm.intake.sites import create_site
    from crm.leads import recommend
    from crm.models import Lead, Listing, Team, User

    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'bench.sqlite3'}"
    config.CRM_MEDIA_DIR = str(folder / "media")
    app = create_app(config)
    app.config["TESTING"] = False
    with app.app_context():
        db.create_all()
        team = Team(name="长三角招商一组", is_default=True)
        agent = User(email="li@example.com", name="李招商", role="agent", team=team,
                     contact_phone="138-0000-1234", contact_wechat="li_factory")
        agent.set_password("secret-pass")
        db.session.add_all([team, agent])
        db.session.commit()
        listings = []
        for n, (title, region) in enumerate([("长兴独栋厂房 3000㎡", "330522"),
                                             ("南太湖标准厂房 5000㎡", "330502"),
                                             ("德清高架仓库 8000㎡", "330521")]):
            listing = Listing(title=title, property_type="factory", deal_type="rent",
                              region_code=region, area_sqm=Decimal(3000 + n * 2500),
                              status="available", price=Decimal("0.8"), created_by_id=agent.id,
                              description="单层钢结构，层高 9 米，承重 3 吨，可环评。")
            db.session.add(listing)
            listings.append(listing)
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": "li@example.com", "password": "secret-pass"})
        for n, listing in enumerate(listings):
            client.post(f"/agent/listings/{listing.id}/photos",
                        data={"photos": [(io.BytesIO(_photo(n)), f"{n}.jpg")]},
                        content_type="multipart/form-data")
        site, _key = create_site("浙江站", ["https://zj.example.cn"], True)
        lead = Lead(contact_name="刘先生", mobile_e164="+8613391219793",
                    mobile_display="133 9121 9793", deal_type="rent", property_type="factory",
                    region_code="330522", consent=True, team=team, assigned_to=agent,
                    status="contacted", reference="CF261123-B001")
        db.session.add(lead)
        db.session.commit()
        rec = recommend.send(lead, agent, listings)
        pages = [("bare form", "BARE"), ("/inquiry", "/inquiry"),
                 ("/embed/inquiry", f"/embed/inquiry?site={site.public_key}"),
                 ("/listings/", "/listings/"), ("/listings/<id>", f"/listings/{listings[0].id}"),
                 ("/embed/listings", f"/embed/listings?site={site.public_key}"),
                 ("/r/<token>", f"/r/{recommend.link_token(rec)}")]
        db.session.remove()
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the forms carry their token
    return app, pages


def _serve(wsgi) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _bare(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                              ("Content-Length", str(len(BARE_FORM)))])
    return [BARE_FORM]


def _view(page, cdp, url: str) -> dict:
    """Open url; what reached the network (bytes, requests) and the paints."""
    seen: dict[str, dict] = {}

    def sent(event):
        seen.setdefault(event["requestId"], {"bytes": 0, "cached": False})

    def received(event):
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            seen.setdefault(event["requestId"], {"bytes": 0})["cached"] = True

    def served_from_cache(event):
        seen.setdefault(event["requestId"], {"bytes": 0})["cached"] = True

    def finished(event):
        seen.setdefault(event["requestId"], {"cached": False})["bytes"] = event["encodedDataLength"]

    handlers = {"Network.requestWillBeSent": sent, "Network.responseReceived": received,
                "Network.requestServedFromCache": served_from_cache,
                "Network.loadingFinished": finished}
    for name, handler in handlers.items():
        cdp.on(name, handler)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)  # lazy images near the fold, late scripts
    paints = page.evaluate(PAINTS)
    for name, handler in handlers.items():
        cdp.remove_listener(name, handler)
    network = [r for r in seen.values() if not r.get("cached")]
    return {"bytes": sum(r.get("bytes", 0) for r in network), "requests": len(network),
            "fcp": paints["fcp"], "lcp": paints["lcp"], "lcp_url": paints["lcp_url"],
            "lcp_image": paints.get("lcp_image")}


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=3,
                                  is_mobile=True, has_touch=True, locale="zh-CN",
                                  user_agent=WECHAT_UA)
    context.add_init_script(path=str(AXE))  # injected by the browser: the CSP does not apply
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    cold = _view(page, cdp, url)
    page.goto("about:blank")
    warm = _view(page, cdp, url)
    findings = page.evaluate(AXE_RUN, TAGS)
    context.close()
    return {"cold": cold, "warm": warm, "axe": findings}


def main() -> None:
    import logging

    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    folder = Path(tempfile.mkdtemp(prefix="page-weight-"))
    app, pages = build_app(folder)
    base, server = _serve(app)
    bare, bare_server = _serve(_bare)
    # The server's first view of a page compiles its templates and loads the catalogs: not
    # what a prospect waits for on a running server.
    import urllib.request
    for _name, path in pages:
        if path != "BARE":
            urllib.request.urlopen(base + path).read()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"])
        measure(browser, bare + "/")  # the browser's own first-context start-up, not counted
        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
        for name, path in pages:
            results = [measure(browser, bare + "/" if path == "BARE" else base + path)
                       for _ in range(runs)]
            result = results[-1]
            for key in ("fcp", "lcp"):  # the median of the runs: the machine is shared
                result["cold"][key] = statistics.median(r["cold"][key] or 0 for r in results)
            rows.append((name, result))
        browser.close()
    server.shutdown()
    bare_server.shutdown()
    print(f"{'page':<17}{'cold KB':>8}{'req':>5}{'warm KB':>9}{'req':>5}"
          f"{'FCP ms':>8}{'LCP ms':>8}  axe serious+critical")
    for name, r in rows:
        cold, warm = r["cold"], r["warm"]
        print(f"{name:<17}{cold['bytes'] / 1024:>8.1f}{cold['requests']:>5}"
              f"{warm['bytes'] / 1024:>9.1f}{warm['requests']:>5}"
              f"{cold['fcp'] or 0:>8.0f}{cold['lcp'] or 0:>8.0f}  "
              f"{', '.join(r['axe']) or '0'}")
    if "--lcp" in sys.argv:  # the largest paint's image in the last cold view of each page
        print(f"\n{'page':<17}{'LCP image':<34}{'KB':>6}{'HTML in':>8}{'asked':>7}"
              f"{'1st byte':>9}{'done':>6}")
        for name, r in rows:
            image = r["cold"].get("lcp_image")
            if image:
                print(f"{name:<17}{r['cold']['lcp_url'].rsplit('/', 1)[-1]:<34}"
                      f"{image['kb']:>6.1f}{image['html_end']:>8.0f}{image['start']:>7.0f}"
                      f"{image['first_byte']:>9.0f}"
                      f"{image['end']:>6.0f}")
    if "--json" in sys.argv:
        print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
