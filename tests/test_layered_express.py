"""A layered Express backend: the Redis service is a singleton reached through
`RedisService.getInstance()`, routers are mounted through expressions
(`export default Router().use(...)`, `forEach` over a route table, chained
`.use()`, `require`)."""

from pathlib import Path

from perfaudit.server.cli.main import main
from perfaudit.server.engine import analyze
from perfaudit.server.express.routes import routes

ROOT = Path(__file__).parent / "fixtures" / "layered"


def _line(rel: str, needle: str) -> int:
    for i, line in enumerate((ROOT / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {rel}")


def test_every_rule_on_the_layered_backend_gives_exactly_these_findings():
    result = analyze(str(ROOT))
    assert result.errors == []
    ws = result.workspace
    found = sorted((ws.relpath(f.path), ws.line_index(f.path).line_of(f.start) + 1, f.code) for f in result.findings)
    assert found == [
        # The limiter sends four commands in a row through getInstance().getClient().
        ("src/middleware/rateLimiter.ts", _line("src/middleware/rateLimiter.ts", "zremrangebyscore"), "R203"),
        # The singleton's optional-TTL `set`, called without a TTL.
        ("src/services/product.service.ts", _line("src/services/product.service.ts", "redisService.set(`product:${id}`, product)"), "R201"),
        # One `get` per id through the wrapper (a generic call: `get<Product>`).
        ("src/services/product.service.ts", _line("src/services/product.service.ts", "out.push(await redisService.get<Product>"), "R204"),
    ]
    # Not reported: `set(key, items, 60)` and `RedisService.getInstance().set(key, orders, 300)`
    # carry a TTL; the wrapper's own bare write is reported at its callers; the Map of
    # SKUs is no Redis; the app compresses and logs request durations (morgan).
    r201 = next(f for f in result.findings if f.code == "R201")
    assert r201.related and ws.relpath(r201.related[0].path) == "src/services/redis.service.ts"


def test_redis_effects_reach_through_the_singleton():
    result = analyze(str(ROOT), None)
    ws = result.workspace
    t = {(r.method, r.path): r for r in routes(ws)}
    mine = t[("GET", "/api/orders/mine")]
    # forCustomer reads and writes through RedisService.getInstance().get/set.
    assert mine.cached and {e.op for e in mine.effects if e.kind == "redis"} == {"get", "set"}
    assert not t[("GET", "/api/orders/:id")].cached


def test_routes_mounted_through_expressions_have_their_full_paths(capsys):
    assert main(["routes", str(ROOT)]) == 0
    out = capsys.readouterr().out
    table = [line.split()[:2] for line in out.splitlines()[1:] if line.strip() and not line.endswith("routes")]
    assert table == [
        ["POST", "/api/orders"],
        ["GET", "/api/orders/:id"],
        ["GET", "/api/orders/mine"],
        ["GET", "/api/products"],
        ["GET", "/api/products/:id"],
        ["POST", "/api/products/batch"],
        ["GET", "/healthz"],
        ["GET", "/internal/cache/:key"],
    ]
    assert out.rstrip().endswith("8 routes")
    ws = analyze(str(ROOT), None).workspace
    assert all(r.mounted for r in routes(ws))
