"""Express facts of one file, by syntax: apps (`express()`), routers
(`express.Router()`, `Router()`), `use` calls with their prefix and
arguments, route registrations (`app.get(path, ...handlers)`,
`router.route(path).get(...)`), calls that hand an app or router to another
function (`setupMiddleware(app)`), NestJS controllers, and where request
pagination parameters are read. Registered as the facts extractor "express";
`routes.py` joins the files.
"""

from __future__ import annotations
import re
from dataclasses import dataclass
import tree_sitter
from perfaudit.server.analysis import facts as facts_mod
from perfaudit.server.analysis.syntax import value_ref
from perfaudit.server.analysis.syntax import FUNCTION_KINDS, call_function, member_path, string_value, unwrap
from perfaudit.server.analysis.parsing import captures, grammar, node_text
from perfaudit.server.express import fastify, nest


HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "all")
DEFAULT_EXPORT = "<default>"  # the container of `export default Router()...`
NEST_METHODS = {"Get", "Post", "Put", "Patch", "Delete", "Options", "Head", "All"}
PAGINATION_KEYS = {"page", "limit", "offset", "cursor", "take", "skip", "pageSize", "perPage", "per_page", "page_size"}
# Functions that receive an app but never add middleware to it.
APP_SINKS = {"createServer", "listen", "serverless", "request", "supertest", "handler",
             "createDocument", "setup"}  # NestJS's SwaggerModule reads the app, adds docs routes
# A workspace function with one of these names that runs a callback is a cache read.
CACHE_HELPER = re.compile(r"^(getOrSet\w*|getCached\w*|cached|remember\w*|wrap|withCache|cacheAside|fetchCached\w*)$")
PARALLEL_CALLS = {("Promise", "all"), ("Promise", "allSettled"), ("Promise", "race"), ("Promise", "any")}


# ------------------------------------------------------------------ per-file facts


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class HandlerRef:
    """One argument of a registration or `use`: kind "function" (inline, by
    range), "path" (`ctrl.list`), "call" (`asyncHandler(ctrl.list)`,
    `compression()`), "array" (`[auth, validate(s)]`) or "other"."""

    kind: str
    start: int
    end: int
    path: tuple[str, ...] = ()
    args: tuple["HandlerRef", ...] = ()

    @property
    def label(self) -> str:
        if self.kind == "path":
            return ".".join(self.path)
        if self.kind == "require":
            return f"require('{self.path[0]}')"
        if self.kind == "call":
            return ".".join(self.path) + "(" + ", ".join(a.label for a in self.args) + ")"
        if self.kind == "function":
            return "<inline>"
        if self.kind == "array":
            return "[" + ", ".join(a.label for a in self.args) + "]"
        return "?"


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class Container:
    kind: str  # "app" | "router"
    name: str  # binding name; "this.app" for class members
    scope: tuple[int, int] | None  # enclosing function range, None at module level
    start: int  # the creating call
    end: int
    returned: bool = False  # the enclosing function returns it
    unreferenced: bool = False  # the name is never read after its declaration: a dead app serves nothing
    framework: str = "express"  # "express" | "nest" (`NestFactory.create`) | "fastify"
    timed: bool = False  # created with a logger that times every response (`fastify({ logger: true })`)


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class Registration:
    receiver: tuple[str, ...]
    method: str  # lower-case HTTP method or "all"
    path: str | None  # None when not a literal
    handlers: tuple[HandlerRef, ...]
    start: int  # the registration call (`router.get(` ... `)`)
    end: int
    head_end: int  # end of `router.get`


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class Use:
    receiver: tuple[str, ...]
    prefix: str | None  # "" when no prefix; None when not a literal
    args: tuple[HandlerRef, ...]
    start: int
    end: int


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class Pass:
    """A call that hands `name` to another function (`setupMiddleware(app)`)."""

    callee: tuple[str, ...]
    index: int
    name: tuple[str, ...]
    start: int
    end: int


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class NestRoute:
    method: str
    path: str
    name: str  # method name in the class
    start: int  # the decorator
    end: int


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class NestController:
    class_name: str
    prefix: str
    routes: tuple[NestRoute, ...]


@facts_mod.fast_pickle
@dataclass(frozen=True, slots=True)
class ExpressFacts:
    containers: tuple[Container, ...] = ()
    registrations: tuple[Registration, ...] = ()
    uses: tuple[Use, ...] = ()
    passes: tuple[Pass, ...] = ()
    aliases: tuple[tuple[str, tuple[int, int] | None, tuple[str, ...], int], ...] = ()  # (name, scope, callee, start)
    controllers: tuple[NestController, ...] = ()
    global_prefix: str | None = None
    timing_offsets: tuple[int, ...] = ()  # `res.on('finish')` and friends, clocks around a Nest `next.handle()`
    nest_globals: tuple[HandlerRef, ...] = ()  # APP_INTERCEPTOR providers, `consumer.apply(...)`, `X.forRoot()`
    pagination_offsets: tuple[int, ...] = ()  # `req.query.page`, `{ page } = req.query`, `@Query('limit')`
    query_passed_offsets: tuple[int, ...] = ()  # `req.query` handed on whole (maybe paginated)
    # `export const statsController = { async overview(req, res) {...} }`: (name, ((key, start, end), ...))

    @property
    def empty(self) -> bool:
        return not (self.containers or self.registrations or self.uses or self.controllers or self.nest_globals)

    @property
    def feeds_routes(self) -> bool:
        """Whether the route model reads this file (apps, routers, or apps handed on)."""
        return not self.empty or bool(self.passes)


_QUERY = """
(call_expression) @call
(new_expression) @new
(variable_declarator) @decl
(class_declaration) @class
(member_expression
  object: (member_expression property: (property_identifier) @_query (#eq? @_query "query"))) @member
(member_expression
  object: (identifier) @_query_var (#eq? @_query_var "query")) @member
(subscript_expression
  object: (member_expression property: (property_identifier) @_query_sub (#eq? @_query_sub "query"))) @member
(member_expression
  property: (property_identifier) @_query_itself (#eq? @_query_itself "query")) @member
(decorator) @decorator
(public_field_definition) @field
(object (pair key: (property_identifier) @_provide (#eq? @_provide "provide"))) @object
"""


def _express_query(language: str) -> tree_sitter.Query:
    key = f"_q_{language}"
    q = globals().get(key)
    if q is None:
        q = tree_sitter.Query(grammar(language), _QUERY)
        globals()[key] = q
    return q


def _enclosing_function(node):
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_KINDS:
            return parent
        parent = parent.parent
    return None


def _scope(node) -> tuple[int, int] | None:
    fn = _enclosing_function(node)
    return (fn.start_byte, fn.end_byte) if fn is not None else None


def _handler_ref(node) -> HandlerRef:
    node = unwrap(node)
    if node is None:
        return HandlerRef("other", 0, 0)
    kind = node.type
    if kind in ("arrow_function", "function_expression", "function"):
        return HandlerRef("function", node.start_byte, node.end_byte)
    if kind in ("identifier", "member_expression"):
        path = member_path(node)
        if path and path[-1] == "bind" and len(path) > 1:  # ctrl.list.bind(ctrl) comes as a call
            path = path[:-1]
        return HandlerRef("path", node.start_byte, node.end_byte, path) if path else HandlerRef("other", node.start_byte, node.end_byte)
    if kind == "call_expression":
        fn = call_function(node)
        args = node.child_by_field_name("arguments")
        path = member_path(fn) if fn is not None else ()
        if path == ("require",) and args is not None and args.named_children:
            module = string_value(args.named_children[0])
            if module:  # `app.use('/x', require('./x.routes'))`
                return HandlerRef("require", node.start_byte, node.end_byte, (module,))
        if path[-1:] == ("bind",) and len(path) > 1:
            return HandlerRef("path", node.start_byte, node.end_byte, path[:-1])
        arg_refs = tuple(_handler_ref(a) for a in args.named_children) if args is not None and args.type == "arguments" else ()
        return HandlerRef("call", node.start_byte, node.end_byte, path, arg_refs)
    if kind == "array":
        return HandlerRef("array", node.start_byte, node.end_byte, (), tuple(_handler_ref(a) for a in node.named_children))
    if kind == "new_expression":  # `app.useGlobalInterceptors(new TimingInterceptor())`
        path = member_path(node.child_by_field_name("constructor"))
        return HandlerRef("new", node.start_byte, node.end_byte, path) if path else HandlerRef("other", node.start_byte, node.end_byte)
    return HandlerRef("other", node.start_byte, node.end_byte)


def _receiver(node) -> tuple[str, ...]:
    path = member_path(node)
    if not path or len(path) > 2 or (len(path) == 2 and path[0] != "this"):
        return ()
    return path


def _route_path(node, constants: dict[str, str] | None = None) -> tuple[bool, str | None]:
    """(is a route path, its literal text or None). `constants`: the file's
    string constants, so `API_PREFIX` and `${API_PREFIX}/users` read as the
    path they spell; a part that cannot be read becomes `*`."""
    node = unwrap(node)
    if node is None:
        return False, None
    value = string_value(node)
    if value is None and constants and node.type == "identifier":
        value = constants.get(node_text(node))
    if value is None and node.type == "template_string":
        value = _template_path(node, constants or {})
    if value is not None:
        return value.startswith(("/", "*")), value
    if node.type in ("template_string", "regex", "array"):
        return True, None
    return False, None


def _template_path(node, constants: dict[str, str]) -> str | None:
    """`${API_PREFIX}/users` with `const API_PREFIX = '/api'` -> `/api/users`;
    an unknown substitution reads as `*`; None when nothing but unknowns."""
    parts, known = [], False
    cursor = node.start_byte + 1  # past the opening backtick
    text = node.text or b""  # bytes: the offsets below are byte offsets
    for child in node.named_children:
        if child.type != "template_substitution":
            continue
        literal = text[cursor - node.start_byte:child.start_byte - node.start_byte].decode("utf-8", "replace")
        parts.append(literal)
        known = known or bool(literal)
        inner = unwrap(child.named_children[0]) if child.named_children else None
        value = constants.get(node_text(inner)) if inner is not None and inner.type == "identifier" else None
        parts.append(value if value is not None else "*")
        known = known or value is not None
        cursor = child.end_byte
    tail = text[cursor - node.start_byte:len(text) - 1].decode("utf-8", "replace")
    parts.append(tail)
    known = known or bool(tail)
    return "".join(parts) if known else None


def _route_chain(node):
    """`router.route('/x')` or `router.route('/x').get(h)` -> (receiver, path)."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    fn = call_function(node)
    args = node.child_by_field_name("arguments")
    if fn is None or fn.type != "member_expression" or args is None:
        return None
    prop = fn.child_by_field_name("property")
    obj = fn.child_by_field_name("object")
    name = node_text(prop) if prop is not None else ""
    if name == "route":
        receiver = _receiver(obj)
        ok, path = _route_path(args.named_children[0]) if args.named_children else (False, None)
        return (receiver, path) if receiver and ok else None
    if name in HTTP_METHODS:
        return _route_chain(obj)
    return None


def _express_locals(root) -> tuple[set[str], set[str]]:
    """Local names of the `express` module and of its `Router` export."""
    express_names: set[str] = set()
    router_names: set[str] = set()
    for stmt in root.named_children:
        if stmt.type == "import_statement":
            if string_value(stmt.child_by_field_name("source")) != "express":
                continue
            for clause in stmt.named_children:
                for part in clause.named_children if clause.type == "import_clause" else ():
                    if part.type == "identifier":
                        express_names.add(node_text(part))
                    elif part.type == "namespace_import" and part.named_children:
                        express_names.add(node_text(part.named_children[-1]))
                    elif part.type == "named_imports":
                        for spec in part.named_children:
                            name, alias = spec.child_by_field_name("name"), spec.child_by_field_name("alias")
                            if name is not None and node_text(name) == "Router":
                                router_names.add(node_text(alias or name))
                            if name is not None and node_text(name) == "default":
                                express_names.add(node_text(alias or name))
        elif stmt.type in ("lexical_declaration", "variable_declaration"):
            for decl in stmt.named_children:
                value = unwrap(decl.child_by_field_name("value")) if decl.type == "variable_declarator" else None
                ref = value_ref(value) if value is not None else None
                if ref is None or ref.kind != "require" or ref.name != "express":
                    continue
                name = decl.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    express_names.add(node_text(name))
                elif name is not None and name.type == "object_pattern":
                    for prop in name.named_children:
                        if prop.type == "shorthand_property_identifier_pattern" and node_text(prop) == "Router":
                            router_names.add("Router")
    return express_names, router_names


# Methods that return the app or router they are called on, so calls chain.
CHAIN_METHODS = set(HTTP_METHODS) | {"use"}


def _chain_base(node):
    """What a `.use(...)`/`.get(...)` chain starts from: `api` of
    `api.use(a).use(b)`, the `Router()` call of `Router().use('/api', api)`."""
    node = unwrap(node)
    while node is not None and node.type == "call_expression":
        fn = call_function(node)
        prop = fn.child_by_field_name("property") if fn is not None and fn.type == "member_expression" else None
        if prop is None or node_text(prop) not in CHAIN_METHODS:
            break
        node = unwrap(fn.child_by_field_name("object"))
    return node


def _literal_items(root, name: str, cache: dict):
    """The object elements of `const <name> = [{ path: '/a', route: a }, ...]`
    at module level: a list of {key: value node}, or None."""
    if name in cache:
        return cache[name]
    found = None
    for stmt in root.named_children:
        decl_parent = stmt.child_by_field_name("declaration") if stmt.type == "export_statement" else stmt
        if decl_parent is None or decl_parent.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for decl in decl_parent.named_children:
            n = decl.child_by_field_name("name") if decl.type == "variable_declarator" else None
            value = unwrap(decl.child_by_field_name("value")) if n is not None else None
            if n is None or node_text(n) != name or value is None or value.type != "array":
                continue
            items = []
            for element in value.named_children:
                element = unwrap(element)
                if element is None or element.type != "object":
                    items = None
                    break
                pairs = {}
                for prop in element.named_children:
                    if prop.type == "pair" and prop.child_by_field_name("key") is not None:
                        pairs[node_text(prop.child_by_field_name("key")).strip("'\"")] = prop.child_by_field_name("value")
                    elif prop.type == "shorthand_property_identifier":
                        pairs[node_text(prop)] = prop
                items.append(pairs)
            found = items
    cache[name] = found
    return found


def _per_item_args(call, arg_nodes, root, cache):
    """A `use` inside `routes.forEach((r) => router.use(r.path, r.route))` or
    `for (const r of routes)` over a literal array: the arguments each item
    gives (one list per item), or None."""
    fn = _enclosing_function(call)
    item = items_name = None
    if fn is not None and fn.parent is not None and fn.parent.type == "arguments":
        outer = fn.parent.parent
        callee = member_path(call_function(outer)) if outer is not None and outer.type == "call_expression" else ()
        params = fn.child_by_field_name("parameters")
        first = params.named_children[0] if params is not None and params.named_children else fn.child_by_field_name("parameter")
        if first is not None and first.type in ("required_parameter", "optional_parameter"):
            first = first.child_by_field_name("pattern")
        if len(callee) == 2 and callee[1] == "forEach":
            item, items_name = first, callee[0]
    else:
        loop = call.parent
        while loop is not None and loop.type not in ("for_in_statement",) + tuple(FUNCTION_KINDS):
            loop = loop.parent
        if loop is not None and loop.type == "for_in_statement":
            right = unwrap(loop.child_by_field_name("right"))
            item, items_name = loop.child_by_field_name("left"), (node_text(right) if right is not None and right.type == "identifier" else None)
    if item is None or not items_name:
        return None
    items = _literal_items(root, items_name, cache)
    if not items:
        return None
    item_name = node_text(item) if item.type == "identifier" else None
    keys = {node_text(p) for p in item.named_children if p.type == "shorthand_property_identifier_pattern"} if item.type == "object_pattern" else set()
    out = []
    for pairs in items:
        args = []
        for arg in arg_nodes:
            inner = unwrap(arg)
            path = member_path(inner) if inner is not None else ()
            if item_name and len(path) == 2 and path[0] == item_name:
                args.append(pairs.get(path[1]))
            elif len(path) == 1 and path[0] in keys:
                args.append(pairs.get(path[0]))
            else:
                args.append(arg)
        if any(a is None for a in args):
            return None
        out.append(args)
    return out


def _container_kind(value, express_names: set[str], router_names: set[str], apps: dict | None = None) -> str | None:
    value = unwrap(value)
    if value is not None and value.type == "await_expression" and value.named_children:
        value = unwrap(value.named_children[0])  # `await NestFactory.create(AppModule)`
    if value is None or value.type != "call_expression":
        return None
    path = member_path(call_function(value))
    if len(path) == 1 and path[0] in express_names or apps and path in apps:
        return "app"
    if len(path) == 2 and path[0] in express_names and path[1] == "Router":
        return "router"
    if len(path) == 1 and path[0] in router_names:
        return "router"
    return None


def _app_call(value):
    """The call that creates a container (through `await`)."""
    value = unwrap(value)
    if value is not None and value.type == "await_expression" and value.named_children:
        value = unwrap(value.named_children[0])
    return value if value is not None and value.type == "call_expression" else None


def _returns(fn_node, name: str) -> bool:
    body = fn_node.child_by_field_name("body") if fn_node is not None else None
    if body is None:
        return False
    if body.type != "statement_block":
        return node_text(unwrap(body)) == name
    stack = list(body.named_children)
    while stack:
        n = stack.pop()
        if n.type == "return_statement":
            if n.named_children and node_text(unwrap(n.named_children[0])) == name:
                return True
        elif n.type not in FUNCTION_KINDS and n.type != "class_declaration":
            stack.extend(n.named_children)
    return False


def _unreferenced(scope_node, name: str) -> bool:
    """Whether `name` occurs only once (its declaration) in its scope's text.
    Any other occurrence, even in a comment or a string, counts as a use."""
    text = scope_node.text or b""
    pattern = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
    return len(pattern.findall(text)) <= 1


def _nest_decorator(node) -> tuple[str, str | None] | None:
    """`@Get(':id')` -> ("Get", ":id"); `@Controller()` -> ("Controller", "")."""
    call = next((c for c in node.named_children if c.type == "call_expression"), None)
    if call is None:
        return None
    name = member_path(call_function(call))
    args = call.child_by_field_name("arguments")
    if len(name) != 1:
        return None
    first = args.named_children[0] if args is not None and args.named_children else None
    if first is None:
        return name[0], ""
    value = string_value(first)
    if value is None and first.type == "object":  # @Controller({ path: 'users' })
        for pair in first.named_children:
            key = pair.child_by_field_name("key") if pair.type == "pair" else None
            if key is not None and node_text(key) == "path":
                value = string_value(pair.child_by_field_name("value"))
    return name[0], value


def _nest_controller(cls) -> NestController | None:
    decorators = [c for c in cls.children if c.type == "decorator"]
    if cls.parent is not None and cls.parent.type == "export_statement":
        decorators += [c for c in cls.parent.children if c.type == "decorator"]
    prefix = None
    for d in decorators:
        parsed = _nest_decorator(d)
        if parsed and parsed[0] == "Controller":
            prefix = parsed[1]
    name = cls.child_by_field_name("name")
    body = cls.child_by_field_name("body")
    if prefix is None or name is None or body is None:
        return None
    routes = []
    pending: list = []
    for member in body.named_children:
        if member.type == "decorator":
            pending.append(member)
            continue
        if member.type == "method_definition":
            method_name = member.child_by_field_name("name")
            for d in pending + [c for c in member.children if c.type == "decorator"]:
                parsed = _nest_decorator(d)
                if parsed and parsed[0] in NEST_METHODS and parsed[1] is not None and method_name is not None:
                    routes.append(NestRoute(parsed[0].lower(), parsed[1], node_text(method_name), d.start_byte, d.end_byte))
        pending = []
    return NestController(node_text(name), prefix, tuple(routes))


def _is_timing_call(node, path: tuple[str, ...], args) -> bool:
    if path[-1:] in (("on",), ("once",), ("addListener",)) and args is not None and args.named_children:
        return string_value(args.named_children[0]) in ("finish", "close")
    return path in (("onFinished",), ("onHeaders",))


def _pagination_read(node) -> bool:
    """`req.query.page`, `req.query['limit']`, `const { page } = req.query`."""
    if node.type in ("member_expression", "subscript_expression"):
        obj = node.child_by_field_name("object")
        if obj is None or member_path(obj)[-1:] != ("query",):
            return False
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            return prop is not None and node_text(prop) in PAGINATION_KEYS
        return string_value(node.child_by_field_name("index")) in PAGINATION_KEYS
    return False


def _pattern_keys(pattern) -> set[str]:
    keys = set()
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            keys.add(node_text(prop))
        elif prop.type in ("object_assignment_pattern", "pair_pattern"):
            key = prop.named_children[0] if prop.type == "object_assignment_pattern" else prop.child_by_field_name("key")
            if key is not None:
                keys.add(node_text(key))
    return keys


# A file with none of these has no Express or NestJS facts: skipping its
# calls saves most of the extraction for services and repositories. Whole
# words, so that `require(`, `useQuery` or `result` do not let a file in.
_EXPRESS_HINTS = re.compile(
    rb"express|Router|@Controller|NestFactory|fastify|Interceptor|consumer|\.query\b|\.use\(|listen\(|finish"
    rb"|\b(?:req|res|request|response)\b|onFinished|onHeaders"
)
# The same test, about six times faster: plain substrings first (`in` runs
# at memory speed, an alternation regex tries each branch at each byte).
_HINT_WORDS = (b"express", b"Router", b"@Controller", b"NestFactory", b"fastify", b"Interceptor", b"consumer",
               b".use(", b"listen(", b"finish", b"onFinished", b"onHeaders")
_QUERY_WORD = re.compile(rb"\.query\b")
_REQUEST_WORD = re.compile(rb"re(?:quest|sponse|q|s)\b")


def mentions_express(text: bytes) -> bool:
    """`_EXPRESS_HINTS.search(text)`, faster (tests/test_express_hints.py)."""
    if any(word in text for word in _HINT_WORDS):
        return True
    if b".query" in text and _QUERY_WORD.search(text):
        return True
    for match in _REQUEST_WORD.finditer(text):
        before = text[match.start() - 1:match.start()]
        if not before or not (before.isalnum() or before == b"_"):
            return True
    return False


def extract(root, language: str) -> ExpressFacts:
    text = root.text or b""
    if not mentions_express(text):
        return ExpressFacts()
    query = _express_query(language)
    caps = captures(query, root)
    express_names, router_names = _express_locals(root)
    # Apps of other frameworks: callee path -> framework.
    other_apps = {(n, "create"): "nest" for n in nest.factory_names(root)}
    other_apps.update({(n,): "fastify" for n in fastify.factory_names(root)})
    nest_globals: list[HandlerRef] = []
    containers, registrations, uses, passes, aliases, controllers = [], [], [], [], [], []
    timing, pagination, passed = [], [], []
    global_prefix = None
    constants: dict[str, str] = {}  # string constants of the file, by name
    chain_names: dict[int, str] = {}  # start of a `Router()` call heading a chain -> the name it goes by
    literal_arrays: dict = {}
    for stmt in root.named_children:
        # `export default Router().use('/api', api)`: a router with no name of its own.
        value = stmt.child_by_field_name("value") if stmt.type == "export_statement" else None
        base = _chain_base(value) if value is not None and any(c.type == "default" for c in stmt.children) else None
        kind = _container_kind(base, express_names, router_names) if base is not None else None
        if kind is not None:
            chain_names[base.start_byte] = DEFAULT_EXPORT
            containers.append(Container(kind, DEFAULT_EXPORT, None, base.start_byte, base.end_byte))

    for decl in caps.get("decl", []):
        name = decl.child_by_field_name("name")
        value = decl.child_by_field_name("value")
        if name is None or value is None:
            continue
        if name.type == "object_pattern" and member_path(value)[-1:] == ("query",):
            if _pattern_keys(name) & PAGINATION_KEYS:
                pagination.append(decl.start_byte)
            continue
        if name.type != "identifier":
            continue
        literal = string_value(value)
        if literal is not None and decl.parent is not None and decl.parent.type == "lexical_declaration" \
                and node_text(decl.parent.children[0]) == "const":
            constants[node_text(name)] = literal  # `const globalPrefix = 'api'`, as Nx generates
            continue
        if unwrap(value) is not None and unwrap(value).type == "object":
            continue  # an object of handlers: the index resolves its members
        base = _chain_base(value)
        kind = _container_kind(base, express_names, router_names)
        fn = _enclosing_function(decl)
        kind = kind or _container_kind(base, express_names, router_names, other_apps)
        if kind is not None:
            chain_names[base.start_byte] = node_text(name)  # `const r = Router().get(...)`
            made = _app_call(base)
            framework = other_apps.get(member_path(call_function(made)), "express") if made is not None else "express"
            containers.append(Container(kind, node_text(name), _scope(decl), made.start_byte, made.end_byte,
                                        _returns(fn, node_text(name)), _unreferenced(fn or root, node_text(name)),
                                        framework, framework == "fastify" and fastify.logs_responses(made)))
        else:
            inner = unwrap(value)
            if inner is not None and inner.type == "await_expression" and inner.named_children:
                inner = unwrap(inner.named_children[0])
            if inner is not None and inner.type == "call_expression":
                callee = member_path(call_function(inner))
                if callee:
                    aliases.append((node_text(name), _scope(decl), callee, decl.start_byte))

    for fld in caps.get("field", []):
        name = fld.child_by_field_name("name") or fld.child_by_field_name("property")
        kind = _container_kind(fld.child_by_field_name("value"), express_names, router_names)
        if name is not None and kind is not None:
            value = fld.child_by_field_name("value")
            containers.append(Container(kind, "this." + node_text(name), None, value.start_byte, value.end_byte))

    for call in caps.get("call", []):
        fn = call_function(call)
        args = call.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "arguments":
            continue
        path = member_path(fn)
        arg_nodes = args.named_children
        # `this.app = express()` in a constructor.
        parent = call.parent
        if parent is not None and parent.type == "assignment_expression" and parent.child_by_field_name("right") == call:
            left = member_path(parent.child_by_field_name("left"))
            kind = _container_kind(call, express_names, router_names)
            if kind is not None and len(left) == 2 and left[0] == "this":
                containers.append(Container(kind, "this." + left[1], None, call.start_byte, call.end_byte))
        if path and _is_timing_call(call, path, args):
            timing.append(call.start_byte)
        nest_globals.extend(nest.globals_of(call, path, _handler_ref))
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            method = node_text(prop) if prop is not None else ""
            obj = fn.child_by_field_name("object")
            chain = _route_chain(obj) if method in HTTP_METHODS else None
            if chain is not None and arg_nodes:
                # A chained `.get(` points at its own method name, not at the router.
                registrations.append(Registration(chain[0], method, chain[1], tuple(_handler_ref(a) for a in arg_nodes),
                                                  prop.start_byte, call.end_byte, fn.end_byte))
                continue
            receiver = _receiver(obj)
            if not receiver and method in CHAIN_METHODS:
                # `api.use(a).use(b)`, `Router().use('/api', api)`: the chain's start.
                base = _chain_base(obj)
                if base is not None and base.type == "call_expression":
                    receiver = (chain_names[base.start_byte],) if base.start_byte in chain_names else ()
                elif base is not None and base is not unwrap(obj):
                    receiver = _receiver(base)
            if receiver and method in HTTP_METHODS and len(arg_nodes) >= 2:
                ok, literal = _route_path(arg_nodes[0], constants)
                if ok:
                    registrations.append(Registration(receiver, method, literal, tuple(_handler_ref(a) for a in arg_nodes[1:]),
                                                      call.start_byte, call.end_byte, fn.end_byte))
                    continue
            if receiver and method == "use" and arg_nodes:
                first = unwrap(arg_nodes[0])
                ok, literal = _route_path(first, constants)
                per_item = _per_item_args(call, arg_nodes, root, literal_arrays) if not ok and len(arg_nodes) >= 2 else None
                if per_item:
                    for item_args in per_item:
                        ok, literal = _route_path(item_args[0])
                        if ok:
                            uses.append(Use(receiver, literal, tuple(_handler_ref(a) for a in item_args[1:]), call.start_byte, call.end_byte))
                    continue
                if ok:
                    uses.append(Use(receiver, literal, tuple(_handler_ref(a) for a in arg_nodes[1:]), call.start_byte, call.end_byte))
                else:
                    uses.append(Use(receiver, "", tuple(_handler_ref(a) for a in arg_nodes), call.start_byte, call.end_byte))
                continue
            if receiver and method == "setGlobalPrefix" and arg_nodes:
                global_prefix = string_value(arg_nodes[0])
                if global_prefix is None and arg_nodes[0].type == "identifier":
                    global_prefix = constants.get(node_text(arg_nodes[0]))
            if receiver and (method in nest.APP_HOOKS or method == "register") and arg_nodes:
                # `app.useGlobalInterceptors(new X())`, fastify's `app.register(compress)`.
                uses.append(Use(receiver, "", tuple(_handler_ref(a) for a in arg_nodes[:1 if method == "register" else None]),
                                call.start_byte, call.end_byte))
                continue
            if receiver and method == "addHook" and fastify.is_response_hook(arg_nodes):
                uses.append(Use(receiver, "", (HandlerRef("hook", call.start_byte, call.end_byte, ("onResponse",)),),
                                call.start_byte, call.end_byte))
                continue
        # Anything handed on by name: resolved against apps and routers later.
        for i, arg in enumerate(arg_nodes):
            inner = unwrap(arg)
            if inner is None:
                continue
            if inner.type in ("identifier", "member_expression") and path:
                name = _receiver(inner)
                if name:
                    passes.append(Pass(path, i, name, call.start_byte, call.end_byte))
                if member_path(inner)[-1:] == ("query",) and path[-1:] != ("use",):
                    passed.append(inner.start_byte)

    # `new ExpressAdapter(app)`, `new Server(app)`: handed to a constructor, which
    # the analyzer does not follow; the pass resolves to no function, so it escapes.
    for new in caps.get("new", []):
        ctor = member_path(new.child_by_field_name("constructor"))
        args = new.child_by_field_name("arguments")
        if not ctor or args is None:
            continue
        for i, arg in enumerate(args.named_children):
            inner = unwrap(arg)
            if inner is not None and inner.type in ("identifier", "member_expression"):
                name = _receiver(inner)
                if name:
                    passes.append(Pass(ctor, i, name, new.start_byte, new.end_byte))

    for member in caps.get("member", []):
        if _pagination_read(member):
            pagination.append(member.start_byte)
        elif member.type == "member_expression" and member_path(member)[-1:] == ("query",):
            parent = member.parent
            if parent is not None and parent.type in ("spread_element", "pair", "variable_declarator") and (
                parent.type != "variable_declarator" or parent.child_by_field_name("name").type == "identifier"
            ):
                passed.append(member.start_byte)

    for deco in caps.get("decorator", []):
        parsed = _nest_decorator(deco)
        if parsed is not None and parsed[0] == "Query":
            if parsed[1] in PAGINATION_KEYS:
                pagination.append(deco.start_byte)
            elif parsed[1] == "":
                passed.append(deco.start_byte)  # @Query() dto: a DTO may carry page/limit

    for cls in caps.get("class", []):
        ctrl = _nest_controller(cls)
        if ctrl is not None:
            controllers.append(ctrl)
        body = cls.child_by_field_name("body")
        for member in body.named_children if body is not None else ():
            if member.type == "method_definition":
                at = nest.interceptor_timing(member)
                if at is not None:
                    timing.append(at)

    for obj in caps.get("object", []):
        nest_globals.extend(nest.provider_globals(obj, _handler_ref))

    return ExpressFacts(
        containers=tuple(containers),
        registrations=tuple(registrations),
        uses=tuple(uses),
        passes=tuple(passes),
        aliases=tuple(aliases),
        controllers=tuple(controllers),
        global_prefix=global_prefix,
        timing_offsets=tuple(sorted(timing)),
        pagination_offsets=tuple(sorted(pagination)),
        query_passed_offsets=tuple(sorted(passed)),
        nest_globals=tuple(nest_globals),
    )


def _structure(ex: ExpressFacts):
    """What the route model reads of a file's express facts. A file that
    registers or mounts nothing contributes names only: its offsets (which
    move as the user types) are read fresh from the facts when needed."""
    if ex.containers or ex.registrations or ex.uses or ex.controllers:
        return ex
    return (
        tuple((p.callee, p.index, p.name) for p in ex.passes),
        tuple((name, callee) for name, _, callee, _ in ex.aliases),
        ex.global_prefix,
        tuple((r.kind, r.path) for r in ex.nest_globals),  # the route model keeps them (E302)
    )


facts_mod.register_extractor("express", extract, structure=_structure)


def express_facts(source) -> ExpressFacts:
    value = source.facts.extra("express") if source is not None else None
    return value if isinstance(value, ExpressFacts) else ExpressFacts()


