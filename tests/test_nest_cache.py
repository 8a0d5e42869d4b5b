"""A NestJS app whose cache manager is backed by Redis (cache-manager-redis-yet):
its get/set/del are Redis round trips, with cache-manager's TTL semantics."""

import shutil
from pathlib import Path

from perfaudit.server.cli.main import main
from perfaudit.server.engine import analyze

FIXTURE = Path(__file__).parent / "fixtures" / "nest_cache"
MODULE = "src/app.module.ts"


def _line(root: Path, rel: str, needle: str) -> int:
    for i, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {rel}")


def _found(root: Path):
    result = analyze(str(root))
    assert result.errors == []
    ws = result.workspace
    return sorted((ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings), result


def test_every_rule_on_the_nest_app_gives_exactly_these_findings():
    found, result = _found(FIXTURE)
    pricing, catalog = "src/pricing/pricing.service.ts", "src/catalog/catalog.service.ts"
    assert found == [
        # `set` without a ttl, and the store registers no default ttl.
        (catalog, _line(FIXTURE, catalog, "await this.cacheManager.set(key, product)"), "R201"),
        # Two cache reads awaited one after another.
        (catalog, _line(FIXTURE, catalog, "const name = await this.cacheManager.get"), "R203"),
        # One cache read per SKU (a generic call: `get<number>`)...
        (pricing, _line(FIXTURE, pricing, "await this.cache.get<number>"), "R204"),
        # ...and, for a miss, a query and a cache write per SKU.
        (pricing, _line(FIXTURE, pricing, "await this.loadPrice(sku)"), "P104"),
        (pricing, _line(FIXTURE, pricing, "await this.loadPrice(sku)"), "R204"),
    ]
    # Not reported: the `set` with a ttl (5 * 60_000), the Map of rates, `del`;
    # E301/E302: the app compresses and a global interceptor times requests.
    r203 = next(f for f in result.findings if f.code == "R203")
    assert "mget" in r203.message and r203.fixes == ()
    r201 = next(f for f in result.findings if f.code == "R201")
    assert "CacheModule" in r201.message and r201.fixes == ()


def test_a_default_ttl_in_the_store_registration_expires_every_set(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    module = (root / MODULE).read_text(encoding="utf-8")
    (root / MODULE).write_text(module.replace("url: process.env.REDIS_URL }", "url: process.env.REDIS_URL, ttl: 60_000 }"),
                               encoding="utf-8")
    found, _ = _found(root)
    assert sorted(code for _, _, code in found) == ["P104", "R203", "R204", "R204"]


def _in_memory_store(root: Path) -> None:
    """The app module registers cache-manager's default in-memory store instead of Redis."""
    module = (root / MODULE).read_text(encoding="utf-8")
    module = module.replace("import { redisStore } from 'cache-manager-redis-yet';\n", "")
    start = module.index("    CacheModule.registerAsync({")
    end = module.index("    }),\n  ],") + len("    }),\n")
    (root / MODULE).write_text(module[:start] + "    CacheModule.register({ isGlobal: true }),\n" + module[end:], encoding="utf-8")


def test_an_in_memory_cache_manager_is_no_redis(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    _in_memory_store(root)
    found, _ = _found(root)
    assert found == [("src/pricing/pricing.service.ts", _line(root, "src/pricing/pricing.service.ts", "await this.loadPrice(sku)"), "P104")]


def test_routes_show_the_queries_and_cache_reads_each_route_reaches(capsys):
    assert main(["routes", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line.split()[2:5] for line in out.splitlines()[1:] if line.startswith(("GET", "POST", "DELETE"))}
    assert rows == {
        ("POST", "/api/catalog/basket/price"): ["1", "1", "yes"],
        ("GET", "/api/catalog/header/:userId"): ["0", "0", "yes"],
        ("GET", "/api/catalog/products/:id"): ["1", "1", "yes"],
        ("DELETE", "/api/catalog/products/:id/cache"): ["0", "0", "no"],
    }


def test_an_app_interceptor_provider_is_part_of_the_module_structure():
    """Adding or removing a global interceptor rebuilds the route model (E302 reads it)."""
    from perfaudit.server.analysis.extract import extract_facts
    from perfaudit.server.analysis.parsing import parse

    text = (FIXTURE / MODULE).read_bytes()
    without = text.replace(b"    { provide: APP_INTERCEPTOR, useClass: TimingInterceptor },\n", b"")
    assert without != text
    with_facts = extract_facts(parse(text, "typescript"), "typescript")
    without_facts = extract_facts(parse(without, "typescript"), "typescript")
    assert with_facts.structure != without_facts.structure


COUNTS_SERVICE = """\
  /** The catalogue size: cache-manager answers from its store for a minute. */
  async productCount() {
    return this.cacheManager.wrap('catalog:count', () => this.prisma.product.count(), 60_000);
  }

  /** The same count, recomputed on every request. */
  async liveProductCount() {
    return this.prisma.product.count();
  }

  async forget(id: string) {"""

COUNTS_CONTROLLER = """\
  @Get('count')
  count() {
    return this.catalog.productCount();
  }

  @Get('count/live')
  liveCount() {
    return this.catalog.liveProductCount();
  }

  @Post('basket/price')"""


def _with_counts(root: Path) -> None:
    for rel, anchor, text in (("src/catalog/catalog.service.ts", "  async forget(id: string) {", COUNTS_SERVICE),
                              ("src/catalog/catalog.controller.ts", "  @Post('basket/price')", COUNTS_CONTROLLER)):
        source = (root / rel).read_text(encoding="utf-8")
        assert source.count(anchor) == 1
        (root / rel).write_text(source.replace(anchor, text), encoding="utf-8")


def test_a_count_behind_cache_manager_wrap_is_cached(tmp_path):
    """`wrap(key, fetcher, ttl)` reads the store before it runs the fetcher:
    R205 stays silent on that route, whatever the store, and still reports
    the route that recounts on every request."""
    root = tmp_path / "app"
    shutil.copytree(FIXTURE, root)
    _with_counts(root)
    controller = "src/catalog/catalog.controller.ts"
    found, _ = _found(root)
    assert [(rel, line) for rel, line, code in found if code == "R205"] == [(controller, _line(root, controller, "@Get('count/live')"))]
    _in_memory_store(root)
    found, _ = _found(root)  # an in-memory store is a cache in front all the same
    assert [(rel, line) for rel, line, code in found if code == "R205"] == [(controller, _line(root, controller, "@Get('count/live')"))]
