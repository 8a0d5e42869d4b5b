"""Routes: Express apps, routers, mounts and endpoints, and what each costs.

Per file, an extractor (facts key "express") records by syntax the apps
(`express()`), routers (`express.Router()`, `Router()`), `use` calls with
their prefix and arguments, route registrations (`app.get(path, ...handlers)`,
`router.route(path).get(...)`), calls that hand an app or router to another
function (`setupMiddleware(app)`), NestJS controllers, and where request
pagination parameters are read.

`routes(workspace)` joins the files: it follows imports to find which router
a `use` mounts, walks from each app down its mounts to give every route its
full path, resolves each handler through the index to the function that runs
it, and summarises the handler: queries reached in order, the round trips
awaited one after another, cache reads, pagination, blocking calls.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

import tree_sitter

from . import facts as facts_mod
from .effects import Effect
from .facts import FUNCTION_KINDS, CallFact, FunctionFact, member_path, string_value, unwrap
from .index import register_classifier
from .parsing import grammar, node_text
from .redis_commands import READ_COMMANDS, command_name

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "options", "head", "all")
NEST_METHODS = {"Get", "Post", "Put", "Patch", "Delete", "Options", "Head", "All"}
PAGINATION_KEYS = {"page", "limit", "offset", "cursor", "take", "skip", "pageSize", "perPage", "per_page", "page_size"}
# Functions that receive an app but never add middleware to it.
APP_SINKS = {"createServer", "listen", "serverless", "request", "supertest", "handler"}
# A workspace function with one of these names that runs a callback is a cache read.
CACHE_HELPER = re.compile(r"^(getOrSet\w*|getCached\w*|cached|remember\w*|wrap|withCache|cacheAside|fetchCached\w*)$")
PARALLEL_CALLS = {("Promise", "all"), ("Promise", "allSettled"), ("Promise", "race"), ("Promise", "any")}


# ------------------------------------------------------------------ per-file facts


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
        if self.kind == "call":
            return ".".join(self.path) + "(" + ", ".join(a.label for a in self.args) + ")"
        if self.kind == "function":
            return "<inline>"
        if self.kind == "array":
            return "[" + ", ".join(a.label for a in self.args) + "]"
        return "?"


@dataclass(frozen=True, slots=True)
class Container:
    kind: str  # "app" | "router"
    name: str  # binding name; "this.app" for class members
    scope: tuple[int, int] | None  # enclosing function range, None at module level
    start: int  # the creating call
    end: int
    returned: bool = False  # the enclosing function returns it
    unreferenced: bool = False  # the name is never read after its declaration: a dead app serves nothing


@dataclass(frozen=True, slots=True)
class Registration:
    receiver: tuple[str, ...]
    method: str  # lower-case HTTP method or "all"
    path: str | None  # None when not a literal
    handlers: tuple[HandlerRef, ...]
    start: int  # the registration call (`router.get(` ... `)`)
    end: int
    head_end: int  # end of `router.get`


@dataclass(frozen=True, slots=True)
class Use:
    receiver: tuple[str, ...]
    prefix: str | None  # "" when no prefix; None when not a literal
    args: tuple[HandlerRef, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Pass:
    """A call that hands `name` to another function (`setupMiddleware(app)`)."""

    callee: tuple[str, ...]
    index: int
    name: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NestRoute:
    method: str
    path: str
    name: str  # method name in the class
    start: int  # the decorator
    end: int


@dataclass(frozen=True, slots=True)
class NestController:
    class_name: str
    prefix: str
    routes: tuple[NestRoute, ...]


@dataclass(frozen=True, slots=True)
class ExpressFacts:
    containers: tuple[Container, ...] = ()
    registrations: tuple[Registration, ...] = ()
    uses: tuple[Use, ...] = ()
    passes: tuple[Pass, ...] = ()
    aliases: tuple[tuple[str, tuple[int, int] | None, tuple[str, ...], int], ...] = ()  # (name, scope, callee, start)
    controllers: tuple[NestController, ...] = ()
    global_prefix: str | None = None
    timing_offsets: tuple[int, ...] = ()  # `res.on('finish')` and friends
    pagination_offsets: tuple[int, ...] = ()  # `req.query.page`, `{ page } = req.query`, `@Query('limit')`
    query_passed_offsets: tuple[int, ...] = ()  # `req.query` handed on whole (maybe paginated)
    # `export const statsController = { async overview(req, res) {...} }`: (name, ((key, start, end), ...))
    objects: tuple[tuple[str, tuple[tuple[str, int, int], ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.containers or self.registrations or self.uses or self.controllers or self.objects)


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
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        path = member_path(fn) if fn is not None else ()
        if path[-1:] == ("bind",) and len(path) > 1:
            return HandlerRef("path", node.start_byte, node.end_byte, path[:-1])
        arg_refs = tuple(_handler_ref(a) for a in args.named_children) if args is not None and args.type == "arguments" else ()
        return HandlerRef("call", node.start_byte, node.end_byte, path, arg_refs)
    if kind == "array":
        return HandlerRef("array", node.start_byte, node.end_byte, (), tuple(_handler_ref(a) for a in node.named_children))
    return HandlerRef("other", node.start_byte, node.end_byte)


def _receiver(node) -> tuple[str, ...]:
    path = member_path(node)
    if not path or len(path) > 2 or (len(path) == 2 and path[0] != "this"):
        return ()
    return path


def _route_path(node) -> tuple[bool, str | None]:
    """(is a route path, its literal text or None)."""
    node = unwrap(node)
    if node is None:
        return False, None
    value = string_value(node)
    if value is not None:
        return value.startswith(("/", "*")), value
    if node.type in ("template_string", "regex", "array"):
        return True, None
    return False, None


def _route_chain(node):
    """`router.route('/x')` or `router.route('/x').get(h)` -> (receiver, path)."""
    node = unwrap(node)
    if node is None or node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
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
                ref = facts_mod.value_ref(value) if value is not None else None
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


def _container_kind(value, express_names: set[str], router_names: set[str]) -> str | None:
    value = unwrap(value)
    if value is None or value.type != "call_expression":
        return None
    path = member_path(value.child_by_field_name("function"))
    if len(path) == 1 and path[0] in express_names:
        return "app"
    if len(path) == 2 and path[0] in express_names and path[1] == "Router":
        return "router"
    if len(path) == 1 and path[0] in router_names:
        return "router"
    return None


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
    name = member_path(call.child_by_field_name("function"))
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


def _object_methods(obj) -> tuple[tuple[str, int, int], ...]:
    out = []
    for prop in obj.named_children:
        if prop.type == "method_definition":
            key = prop.child_by_field_name("name")
            if key is not None:
                out.append((node_text(key), prop.start_byte, prop.end_byte))
        elif prop.type == "pair":
            key, value = prop.child_by_field_name("key"), unwrap(prop.child_by_field_name("value"))
            if key is not None and value is not None and value.type in ("arrow_function", "function_expression"):
                out.append((node_text(key), value.start_byte, value.end_byte))
    return tuple(out)


def extract(root, language: str) -> ExpressFacts:
    query = _express_query(language)
    caps = tree_sitter.QueryCursor(query).captures(root)
    express_names, router_names = _express_locals(root)
    containers, registrations, uses, passes, aliases, controllers = [], [], [], [], [], []
    timing, pagination, passed, objects = [], [], [], []
    global_prefix = None

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
        if unwrap(value) is not None and unwrap(value).type == "object" and _scope(decl) is None:
            methods = _object_methods(unwrap(value))
            if methods:
                objects.append((node_text(name), methods))
            continue
        kind = _container_kind(value, express_names, router_names)
        fn = _enclosing_function(decl)
        if kind is not None:
            containers.append(Container(kind, node_text(name), _scope(decl), value.start_byte, value.end_byte,
                                        _returns(fn, node_text(name)), _unreferenced(fn or root, node_text(name))))
        else:
            inner = unwrap(value)
            if inner is not None and inner.type == "await_expression" and inner.named_children:
                inner = unwrap(inner.named_children[0])
            if inner is not None and inner.type == "call_expression":
                callee = member_path(inner.child_by_field_name("function"))
                if callee:
                    aliases.append((node_text(name), _scope(decl), callee, decl.start_byte))

    for fld in caps.get("field", []):
        name = fld.child_by_field_name("name") or fld.child_by_field_name("property")
        kind = _container_kind(fld.child_by_field_name("value"), express_names, router_names)
        if name is not None and kind is not None:
            value = fld.child_by_field_name("value")
            containers.append(Container(kind, "this." + node_text(name), None, value.start_byte, value.end_byte))

    for call in caps.get("call", []):
        fn = call.child_by_field_name("function")
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
            if receiver and method in HTTP_METHODS and len(arg_nodes) >= 2:
                ok, literal = _route_path(arg_nodes[0])
                if ok:
                    registrations.append(Registration(receiver, method, literal, tuple(_handler_ref(a) for a in arg_nodes[1:]),
                                                      call.start_byte, call.end_byte, fn.end_byte))
                    continue
            if receiver and method == "use" and arg_nodes:
                first = unwrap(arg_nodes[0])
                ok, literal = _route_path(first)
                if ok:
                    uses.append(Use(receiver, literal, tuple(_handler_ref(a) for a in arg_nodes[1:]), call.start_byte, call.end_byte))
                else:
                    uses.append(Use(receiver, "", tuple(_handler_ref(a) for a in arg_nodes), call.start_byte, call.end_byte))
                continue
            if receiver and method == "setGlobalPrefix" and arg_nodes:
                global_prefix = string_value(arg_nodes[0])
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
        objects=tuple(objects),
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
        tuple((name, tuple(m[0] for m in methods)) for name, methods in ex.objects),
        ex.global_prefix,
    )


facts_mod.register_extractor("express", extract, structure=_structure)


def express_facts(source) -> ExpressFacts:
    value = source.facts.extra("express") if source is not None else None
    return value if isinstance(value, ExpressFacts) else ExpressFacts()


# ------------------------------------------------------------------ cache helpers


def _cache_helper_classifier(index, path: str, fn: FunctionFact | None, call: CallFact):
    """A call into a workspace cache-aside helper (`cache.getOrSet(key, fetcher)`)
    is a cache read: it answers from the cache before running the fetcher."""
    if not CACHE_HELPER.match(call.method or "") or not (call.callbacks or any(call.arg_names)):
        return ()
    resolved = index.resolve_call(path, fn, call)
    if resolved is None:
        return ()
    helper_path, helper = resolved[:2]
    if not any(index.calls_param(helper_path, helper, i, 0) for i in range(len(helper.params))):
        return ()
    return (Effect("cache", "read", helper.name, path, call.start, call.end),)


register_classifier(_cache_helper_classifier)


def is_cache_read(effect: Effect) -> bool:
    if effect.kind == "cache":
        return not effect.is_write and effect.op not in ("write", "set", "del", "invalidate")
    if effect.kind == "redis":
        return (command_name(effect.op) or effect.op.lower()) in READ_COMMANDS
    return False


# ------------------------------------------------------------------ the route model


@dataclass
class Route:
    method: str  # "GET", "POST"... "ALL"
    path: str  # full path; `*` marks a part the analyzer could not read
    file: str
    start: int  # the registration (`router.get(...)` call or `@Get()` decorator)
    end: int
    head_end: int
    handler: tuple[str, FunctionFact] | None
    handler_label: str
    middleware: tuple[str, ...] = ()
    middleware_fns: tuple[tuple[str, FunctionFact], ...] = ()
    mounted: bool = True  # reached from an app (or a Nest controller)
    framework: str = "express"
    ws: object = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return f"{self.method} {self.path}"

    # -- cost: computed from the current facts on each use (the index memoises
    # what functions reach), so the model itself only needs rebuilding when
    # the route structure changes, not on every keystroke --
    def _fresh(self, ref):
        """(path, FunctionFact) as the file is now (offsets move as the user types)."""
        path, fn = ref
        source = self.ws.files.get(path)
        current = source.facts.function(fn.id) if source is not None else None
        return (path, current or fn)

    @property
    def current_handler(self):
        return self._fresh(self.handler) if self.handler is not None else None

    @property
    def effects(self) -> tuple[Effect, ...]:
        if self.handler is None:
            return ()
        return self.ws.index.effects_of_function(self.handler[0], self.handler[1].id)

    @property
    def queries(self) -> tuple[Effect, ...]:
        seen, out = set(), []
        for e in self.effects:
            if e.kind == "query" and (e.path, e.start) not in seen:
                seen.add((e.path, e.start))
                out.append(e)
        return tuple(out)

    @property
    def steps(self) -> tuple[tuple[Effect, ...], ...]:
        """Round trips to the database, in order: each a group of queries that
        run together (`Promise.all`); the groups are awaited one after another."""
        if self.handler is None:
            return ()
        return _Steps(self.ws.index).of(*self.current_handler)

    @property
    def sequential(self) -> int:
        return len(self.steps)

    @property
    def cached(self) -> bool:
        return any(is_cache_read(e) for e in self.effects)

    @property
    def blocking(self) -> tuple[Effect, ...]:
        out = [e for e in self.effects if e.kind == "blocking"]
        for mpath, mfn in (self._fresh(m) for m in self.middleware_fns):
            out.extend(e for e in self.ws.index.effects_of_function(mpath, mfn.id) if e.kind == "blocking")
        return tuple(dict.fromkeys(out))

    @property
    def pagination(self) -> str:
        """"yes" when the handler reads a pagination parameter, "maybe" when it
        hands `req.query` on whole, "no" otherwise."""
        fns = ([self.current_handler] if self.handler else []) + [self._fresh(m) for m in self.middleware_fns]
        verdict = "no"
        for path, fn in fns:
            ex = express_facts(self.ws.files.get(path))
            if any(fn.start <= o < fn.end for o in ex.pagination_offsets):
                return "yes"
            if any(fn.start <= o < fn.end for o in ex.query_passed_offsets):
                verdict = "maybe"
        if verdict == "no" and self.handler is not None:
            # A helper named for it (`parsePagination(req)`).
            hpath, hfn = self.current_handler
            facts = self.ws.files[hpath].facts
            for fn in facts.functions:
                if hfn.start <= fn.start and fn.end <= hfn.end:
                    if any("aginat" in c.method for c in fn.calls):
                        return "maybe"
        return verdict

    @property
    def summary(self) -> str:
        """The lens text: "4 queries (3 sequential) - not cached - paginated"."""
        n = len(self.queries)
        parts = [f"{n} quer{'y' if n == 1 else 'ies'}" + (f" ({self.sequential} sequential)" if self.sequential > 1 else "")]
        parts.append("cached" if self.cached else "not cached")
        if self.pagination == "yes":
            parts.append("paginated")
        if self.blocking:
            parts.append(f"{len(self.blocking)} blocking call{'s' if len(self.blocking) != 1 else ''}")
        return " - ".join(parts)

    def to_json(self) -> dict:
        ws = self.ws
        line = ws.line_index(self.file).line_of(self.start) + 1
        handler = None
        if self.handler is not None:
            hp, hf = self.current_handler
            handler = {"name": self.handler_label, "file": ws.relpath(hp), "line": ws.line_index(hp).line_of(hf.start) + 1}
        return {
            "method": self.method,
            "path": self.path,
            "file": ws.relpath(self.file),
            "line": line,
            "handler": handler,
            "middleware": list(self.middleware),
            "queries": len(self.queries),
            "sequential": self.sequential,
            "query_list": [_effect_label(e) for e in self.queries],
            "cached": self.cached,
            "paginated": self.pagination == "yes",
            "blocking": [e.op for e in self.blocking],
            "mounted": self.mounted,
        }


def _effect_label(e: Effect) -> str:
    if e.kind == "query":
        model = e.target[:1].lower() + e.target[1:] if e.target else ""
        return f"{model}.{e.op}" if model else e.op
    return e.op


class _Steps:
    """Database round trips of a function, in the order they are awaited."""

    def __init__(self, index):
        self.index = index
        self.memo: dict = {}

    def of(self, path: str, fn: FunctionFact, stack: tuple = ()) -> tuple[tuple[Effect, ...], ...]:
        key = (path, fn.id)
        if key in self.memo:
            return self.memo[key]
        if key in stack or len(stack) > 12:
            return ()
        stack = stack + (key,)
        facts = self.index.facts(path)
        parallel = [c for c in fn.calls if c.callee in PARALLEL_CALLS or c.method == "$transaction" and not c.callbacks]
        steps: list[tuple[Effect, ...]] = []
        groups: dict[int, list] = {}
        for call in fn.calls:
            outer = next((p for p in parallel if p.start < call.start and call.end <= p.end), None)
            inner = self._call_steps(path, fn, call, facts, stack)
            if not inner:
                continue
            if outer is not None:
                group = groups.get(outer.start)
                if group is None:
                    group = groups[outer.start] = []
                    steps.append(())  # placeholder, merged below
                    group.append(len(steps) - 1)
                group.append(inner)
            else:
                steps.extend(inner)
        # Merge each parallel group into its placeholder: step i of the group
        # is the union of step i of its members.
        out: list[tuple[Effect, ...]] = []
        placeholders = {g[0]: g[1:] for g in groups.values()}
        for i, step in enumerate(steps):
            if i in placeholders:
                members = placeholders[i]
                depth = max(len(m) for m in members)
                for d in range(depth):
                    out.append(tuple(e for m in members if d < len(m) for e in m[d]))
            else:
                out.append(step)
        result = tuple(out)
        self.memo[key] = result
        return result

    def _call_steps(self, path, fn, call, facts, stack):
        index = self.index
        out: list[tuple[Effect, ...]] = []
        for e in index.direct_effects(path, fn, call):
            if e.kind == "query":
                out.append((e,))
        resolved = index.resolve_call(path, fn, call)
        if resolved is not None:
            out.extend(self.of(resolved[0], resolved[1], stack))
        for arg_index, cb_id in call.callbacks:
            if index.invokes_callback(call, resolved, arg_index):
                cb = facts.function(cb_id) if facts is not None else None
                if cb is not None:
                    out.extend(self.of(path, cb, stack))
        for arg_index, name in enumerate(call.arg_names):
            if name and index.invokes_callback(call, resolved, arg_index):
                target = index.function(index.resolve_path(path, tuple(name.split(".")), fn))
                if target is not None:
                    out.extend(self.of(target[0], target[1], stack))
        return out


# ------------------------------------------------------------------ joining files

Identity = tuple  # ("binding", file, name, scope) | ("param", file, fn_start, index)


class RouteModel:
    """Apps, routers and routes of one workspace (its state at build time)."""

    def __init__(self, ws):
        self.ws = ws
        self.index = ws.index
        self.edges: dict[Identity, list[tuple[str | None, Identity, Use | None]]] = {}
        self.uses: dict[Identity, list[tuple[str, Use]]] = {}
        self.regs: dict[Identity, list[tuple[str, Registration]]] = {}
        self.escapes: set[Identity] = set()
        self.apps: list[tuple[str, Container, Identity]] = []
        self.routes: list[Route] = []
        self._build()

    # -- naming --
    def _container(self, path: str, name: str, scope_hint: int | None) -> tuple[Identity, Container] | None:
        ex = express_facts(self.ws.files.get(path))
        best = None
        for c in ex.containers:
            if c.name != name:
                continue
            if c.scope is None:
                best = best or c
            elif scope_hint is not None and c.scope[0] <= scope_hint < c.scope[1]:
                if best is None or best.scope is None or c.scope[0] >= best.scope[0]:
                    best = c
        if best is None:
            return None
        return ("binding", path, best.name, best.scope), best

    def identity(self, path: str, name: tuple[str, ...], at: int, depth: int = 0) -> Identity | None:
        """The app or router that `name` denotes at offset `at` of `path`."""
        if depth > 8 or not name:
            return None
        source = self.ws.files.get(path)
        if source is None:
            return None
        if name[0] == "this":
            found = self._container(path, ".".join(name), None)
            return found[0] if found else None
        if len(name) != 1:
            return None
        local = name[0]
        found = self._container(path, local, at)
        fn = source.facts.function_at(at)
        # A parameter of an enclosing function (`function setup(app: Express)`).
        f = fn
        while f is not None:
            if found is not None and found[1].scope is not None and f.start <= found[1].scope[0]:
                break
            if local in f.params:
                return ("param", path, f.start, f.params.index(local))
            f = source.facts.function(f.parent) if f.parent else None
        if found is not None:
            return found[0]
        # `const app = createApp()` where createApp returns an app.
        ex = express_facts(source)
        for alias, scope, callee, start in ex.aliases:
            if alias == local and (scope is None or scope[0] <= at < scope[1]):
                target = self.index.function(self.index.resolve_path(path, callee, fn))
                if target is not None:
                    made = self._made_by(target[0], target[1])
                    if made is not None:
                        return made
        # Imported from another file.
        imp = source.facts.import_of(local)
        if imp is not None:
            module = self.index.resolve_module(path, imp.module)
            if module is not None:
                return self._exported(module, imp.imported, depth + 1)
        ref = source.facts.binding(local)
        if ref is not None and ref.kind == "require":
            module = self.index.resolve_module(path, ref.name)
            if module is not None:
                return self._exported(module, ref.member or "default", depth + 1)
        return None

    def _exported(self, module: str, name: str, depth: int) -> Identity | None:
        source = self.ws.files.get(module)
        if source is None or depth > 8:
            return None
        facts = source.facts
        if name == "default" and facts.default_export is not None and facts.default_export.kind == "name":
            return self.identity(module, tuple(facts.default_export.name.split(".")), 0, depth + 1)
        for exported, local in facts.exports:
            if exported == name:
                return self.identity(module, (local,), 0, depth + 1)
        for exported, spec, imported in facts.reexports:
            if exported == name:
                target = self.index.resolve_module(module, spec)
                return self._exported(target, imported, depth + 1) if target else None
        for spec in facts.star_exports:
            target = self.index.resolve_module(module, spec)
            found = self._exported(target, name, depth + 1) if target else None
            if found is not None:
                return found
        return None

    def _made_by(self, path: str, fn: FunctionFact) -> Identity | None:
        """The app or router a factory function creates and returns."""
        ex = express_facts(self.ws.files.get(path))
        made = [c for c in ex.containers if c.scope == (fn.start, fn.end)]
        returned = [c for c in made if c.returned] or (made if len(made) == 1 else [])
        if len(returned) == 1:
            c = returned[0]
            return ("binding", path, c.name, c.scope)
        return None

    # -- building --
    def _build(self) -> None:
        returned: set[Identity] = set()  # apps a factory returns, escaped unless a caller is seen
        called: set[Identity] = set()
        for path in sorted(self.ws.files):
            source = self.ws.files[path]
            ex = express_facts(source)
            if ex.empty and not ex.passes:
                continue
            for c in ex.containers:
                ident = ("binding", path, c.name, c.scope)
                if c.kind == "app":
                    self.apps.append((path, c, ident))
                if c.returned:
                    returned.add(ident)  # callers seen through aliases clear it below
                if c.name.startswith("this.") and self._member_used_elsewhere(path, c.name[5:]):
                    self.escapes.add(ident)
            for reg in ex.registrations:
                ident = self.identity(path, reg.receiver, reg.start)
                if ident is not None:
                    self.regs.setdefault(ident, []).append((path, reg))
            for use in ex.uses:
                ident = self.identity(path, use.receiver, use.start)
                if ident is None:
                    continue
                self.uses.setdefault(ident, []).append((path, use))
                fn = source.facts.function_at(use.start)
                for arg in use.args:
                    child = self._mounted(path, arg, fn, use.start)
                    if child is not None:
                        self.edges.setdefault(ident, []).append((use.prefix, child, use))
            for p in ex.passes:
                ident = self.identity(path, p.name, p.start)
                if ident is None:
                    continue
                fn = source.facts.function_at(p.start)
                target = self.index.function(self.index.resolve_path(path, p.callee, fn))
                if target is not None:
                    self.edges.setdefault(ident, []).append(("", ("param", target[0], target[1].start, p.index), None))
                elif p.callee[-1] not in APP_SINKS and p.callee[-1] not in HTTP_METHODS and p.callee[-1] != "use":
                    self.escapes.add(ident)
            for alias, scope, callee, start in ex.aliases:
                fn = source.facts.function_at(start)
                target = self.index.function(self.index.resolve_path(path, callee, fn))
                made = self._made_by(target[0], target[1]) if target is not None else None
                if made is not None:
                    called.add(made)
        # A returned app whose caller is seen does not escape for that reason
        # (a pass elsewhere still makes it escape); files come in any order.
        self.escapes |= returned - called
        self._collect_routes()

    def _member_used_elsewhere(self, path: str, member: str) -> bool:
        for other, source in self.ws.files.items():
            for fn in source.facts.functions:
                for call in fn.calls:
                    if len(call.callee) >= 3 and call.callee[-2] == member and call.callee[0] != "this":
                        return True
        return False

    def _mounted(self, path: str, arg: HandlerRef, fn, at: int) -> Identity | None:
        if arg.kind == "path":
            return self.identity(path, arg.path, at)
        if arg.kind == "call":
            target = self.index.function(self.index.resolve_path(path, arg.path, fn)) if arg.path else None
            if target is not None:
                return self._made_by(target[0], target[1])
        return None

    # -- handlers --
    def _function_of(self, path: str, ref: HandlerRef, at: int) -> tuple[str, FunctionFact] | None:
        source = self.ws.files.get(path)
        if source is None:
            return None
        if ref.kind == "function":
            for fn in source.facts.functions:
                if fn.start == ref.start and fn.end == ref.end:
                    return (path, fn)
            return None
        if ref.kind == "path":
            fn = source.facts.function_at(at)
            found = self.index.function(self.index.resolve_path(path, ref.path, fn))
            return found if found is not None or len(ref.path) != 2 else self._object_method(path, ref.path)
        if ref.kind == "call":
            # `asyncHandler(ctrl.list)`, `catchAsync(async (req, res) => ...)`: the
            # wrapped function runs the request.
            for arg in reversed(ref.args):
                if arg.kind in ("function", "path", "call"):
                    found = self._function_of(path, arg, at)
                    if found is not None:
                        return found
        return None

    def _object_method(self, path: str, parts: tuple[str, ...]) -> tuple[str, FunctionFact] | None:
        """`statsController.overview` where statsController is an object literal of methods."""
        defined = self._definition(path, parts[0], 0)
        if defined is None:
            return None
        dpath, local = defined
        source = self.ws.files.get(dpath)
        for name, methods in express_facts(source).objects:
            if name != local:
                continue
            for key, start, end in methods:
                if key == parts[1]:
                    fn = next((f for f in source.facts.functions if f.start == start and f.end == end), None)
                    return (dpath, fn) if fn is not None else None
        return None

    def _definition(self, path: str, name: str, depth: int) -> tuple[str, str] | None:
        """(file, local name) where `name` in `path` is defined, through imports and re-exports."""
        source = self.ws.files.get(path)
        if source is None or depth > 8:
            return None
        imp = source.facts.import_of(name)
        if imp is None:
            return (path, name)
        module = self.index.resolve_module(path, imp.module)
        return self._exported_definition(module, imp.imported, depth + 1) if module else None

    def _exported_definition(self, module: str, name: str, depth: int) -> tuple[str, str] | None:
        facts = self.ws.files[module].facts if module in self.ws.files else None
        if facts is None or depth > 8:
            return None
        if name == "default" and facts.default_export is not None and facts.default_export.kind == "name":
            return self._definition(module, facts.default_export.name.split(".")[0], depth + 1)
        for exported, local in facts.exports:
            if exported == name:
                return self._definition(module, local, depth + 1)
        for exported, spec, imported in facts.reexports:
            if exported == name:
                target = self.index.resolve_module(module, spec)
                return self._exported_definition(target, imported, depth + 1) if target else None
        for spec in facts.star_exports:
            target = self.index.resolve_module(module, spec)
            found = self._exported_definition(target, name, depth + 1) if target else None
            if found is not None:
                return found
        return None

    def _flatten(self, refs: Iterable[HandlerRef]) -> list[HandlerRef]:
        out = []
        for r in refs:
            out.extend(self._flatten(r.args) if r.kind == "array" else [r])
        return out

    def _route(self, path: str, reg: Registration, full: str, mounted: bool, chain_mw: list) -> Route:
        refs = self._flatten(reg.handlers)
        handler_ref = refs[-1] if refs else None
        handler = self._function_of(path, handler_ref, reg.start) if handler_ref else None
        mw_fns = []
        for ref in refs[:-1]:
            found = self._function_of(path, ref, reg.start) if ref.kind != "call" or not ref.args else None
            if found is not None:
                mw_fns.append(found)
        label = handler[1].name if handler and "." in handler[1].name else (handler_ref.label if handler_ref else "?")
        return Route(
            method=reg.method.upper(), path=full, file=path, start=reg.start, end=reg.end, head_end=reg.head_end,
            handler=handler, handler_label=label, middleware=tuple(chain_mw + [r.label for r in refs[:-1]]),
            middleware_fns=tuple(mw_fns), mounted=mounted, ws=self.ws,
        )

    def _collect_routes(self) -> None:
        seen_regs: set[tuple[str, int]] = set()
        routes: list[Route] = []

        def walk(ident: Identity, prefix: str, chain: list, visiting: tuple):
            if ident in visiting or len(visiting) > 16:
                return
            visiting = visiting + (ident,)
            for path, reg in self.regs.get(ident, ()):
                seen_regs.add((path, reg.start))
                full = join_paths(prefix, reg.path if reg.path is not None else "*")
                routes.append(self._route(path, reg, full, True, chain))
            for sub_prefix, child, use in self.edges.get(ident, ()):
                mw = [a.label for a in use.args if a.kind != "path" or self.identity(use_path_of(use), a.path, use.start) is None] if use else []
                walk(child, join_paths(prefix, sub_prefix if sub_prefix is not None else "*"), chain + mw[:-1] if use else chain, visiting)

        def use_path_of(use):
            return self._use_paths.get(id(use), "")

        self._use_paths = {id(u): p for uses in self.uses.values() for p, u in uses}
        for path, container, ident in self.apps:
            walk(ident, "", [], ())
        # Routers nobody mounts (or mounted where the analyzer cannot see):
        # still routes, with the path they declare.
        for ident, regs in self.regs.items():
            for path, reg in regs:
                if (path, reg.start) not in seen_regs:
                    seen_regs.add((path, reg.start))
                    routes.append(self._route(path, reg, join_paths("", reg.path if reg.path is not None else "*"), False, []))
        routes.extend(self._nest_routes())
        unique = {}
        for r in routes:
            unique.setdefault((r.method, r.path, r.file, r.start), r)
        self.routes = sorted(unique.values(), key=lambda r: (r.path, r.method, r.file, r.start))

    def _nest_routes(self) -> list[Route]:
        prefix = ""
        for source in self.ws.files.values():
            gp = express_facts(source).global_prefix
            if gp:
                prefix = gp
        out = []
        for path, source in sorted(self.ws.files.items()):
            for ctrl in express_facts(source).controllers:
                cls = source.facts.klass(ctrl.class_name)
                for r in ctrl.routes:
                    fid = cls.method(r.name) if cls is not None else None
                    fn = source.facts.function(fid) if fid else None
                    full = join_paths(join_paths(prefix, ctrl.prefix), r.path)
                    out.append(Route(
                        method=r.method.upper(), path=full, file=path, start=r.start, end=r.end, head_end=r.end,
                        handler=(path, fn) if fn is not None else None,
                        handler_label=fn.name if fn is not None else r.name, framework="nest", ws=self.ws,
                    ))
        return out

    # -- app configuration (E301, E302) --
    def app_setup(self, ident: Identity) -> tuple[list[tuple[str, Use]], bool]:
        """Every `use` applied to an app, through the helpers it is handed to,
        and whether the app escapes where the analyzer cannot see."""
        out: list[tuple[str, Use]] = []
        escaped = False
        stack, seen = [ident], set()
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            escaped = escaped or cur in self.escapes
            out.extend(self.uses.get(cur, ()))
            for prefix, child, use in self.edges.get(cur, ()):
                if use is None and child[0] == "param":
                    stack.append(child)
        return out, escaped


def join_paths(prefix: str, path: str) -> str:
    parts = [p for p in (prefix.strip("/"), path.strip("/")) if p]
    return "/" + "/".join(parts)


def route_model(ws) -> RouteModel:
    """The workspace's route model, rebuilt when the workspace's structure
    (apps, routers, imports, exports, classes) changed."""
    cached = getattr(ws, "_perfaudit_routes", None)
    if cached is not None and cached[0] == ws.structure_generation:
        return cached[1]
    model = RouteModel(ws)
    ws._perfaudit_routes = (ws.structure_generation, model)
    return model


def routes(ws) -> list[Route]:
    return route_model(ws).routes


def routes_in(ws, path: str) -> list[Route]:
    from .workspace import norm

    source = ws.files.get(norm(path))
    ex = express_facts(source)
    if source is not None and not (ex.registrations or ex.controllers):
        return []  # registers no route: no need to build the model
    model = route_model(ws)
    if getattr(model, "_by_file", None) is None:
        by_file: dict[str, list[Route]] = {}
        for r in model.routes:
            by_file.setdefault(r.file, []).append(r)
        model._by_file = by_file
    return model._by_file.get(norm(path), [])


# ------------------------------------------------------------------ editor features


def route_lenses(ws, path: str) -> list[tuple[int, int, str, tuple[str, int] | None]]:
    """(start, end, title, (handler file, handler start byte)) per route registered in `path`."""
    out = []
    for r in routes_in(ws, path):
        target = (r.handler[0], r.handler[1].start) if r.handler else None
        out.append((r.start, r.head_end, r.summary, target))
    return out


@dataclass(frozen=True, slots=True)
class RouteSymbol:
    name: str  # "GET /api/users/:id"
    detail: str  # handler name
    path: str
    start: int
    end: int
    selection_end: int


def route_symbols(ws, path: str | None = None) -> list[RouteSymbol]:
    """Symbols for routes registered in `path` (all routes when None)."""
    chosen = routes(ws) if path is None else routes_in(ws, path)
    return [RouteSymbol(r.title, r.handler_label, r.file, r.start, r.end, r.head_end) for r in chosen]


# ------------------------------------------------------------------ helpers for rules and fixes

COMPRESSION_MODULES = {"compression", "shrink-ray", "shrink-ray-current", "express-static-gzip"}
TIMING_MODULES = {
    "morgan", "pino-http", "express-pino-logger", "response-time", "express-winston", "express-status-monitor",
    "express-prom-bundle", "@opentelemetry/instrumentation-express", "express-bunyan-logger", "winston-express",
}
# Agents that time every request from outside the code (`--require dd-trace/init`).
APM_PACKAGES = {"dd-trace", "newrelic", "elastic-apm-node", "@opentelemetry/auto-instrumentations-node",
                "@opentelemetry/sdk-node", "@appsignal/nodejs", "@google-cloud/trace-agent"}


def app_identity(path: str, container: Container) -> Identity:
    return ("binding", path, container.name, container.scope)


def ref_modules(model: RouteModel, path: str, ref: HandlerRef, depth: int = 0) -> set[str]:
    """External modules a middleware argument comes from, looking into the
    workspace functions it names (`performance()` that returns `compression()`)."""
    index = model.index
    out: set[str] = set()
    if depth > 4:
        return out
    if ref.kind in ("path", "call") and ref.path:
        module = index.imported_module(path, ref.path[0])
        if module:
            out.add(module.removeprefix("node:"))
        made_by = _factory_module(index, path, ref.path)
        if made_by:
            out.add(made_by.removeprefix("node:"))
        target = index.function(index.resolve_path(path, ref.path, None))
        if target is not None:
            tpath, fn = target
            facts = index.facts(tpath)
            for f in facts.functions if facts else ():
                if fn.start <= f.start and f.end <= fn.end:
                    for call in f.calls:
                        if call.callee:
                            m = index.imported_module(tpath, call.callee[0])
                            if m:
                                out.add(m.removeprefix("node:"))
    for arg in ref.args:
        out |= ref_modules(model, path, arg, depth + 1)
    return out


def _factory_module(index, path: str, parts: tuple[str, ...]) -> str | None:
    """The external module whose factory made a middleware held in a binding:
    `const requestLog = morgan('tiny')` used as `requestLog`, or exported and
    used as `logging.requestLog` / `{ requestLog }` from another file."""
    facts = index.facts(path)
    if facts is None or not parts or len(parts) > 2:
        return None
    if len(parts) == 1:
        ref = facts.binding(parts[0])
        if ref is not None and ref.kind == "call" and ref.member is None:
            return index.imported_module(path, ref.name.split(".")[0])
        imp = facts.import_of(parts[0])
        name = imp.imported if imp is not None else None
    else:
        imp = facts.import_of(parts[0])
        # `import logging from './logging'` (an object of named exports) or `import * as logging`.
        name = parts[1] if imp is not None and imp.imported in ("default", "*") else None
    target = index.resolve_module(path, imp.module) if name else None
    tfacts = index.facts(target) if target else None
    if tfacts is None:
        return None
    for exported, local in tfacts.exports:
        if exported == name:
            ref = tfacts.binding(local)
            if ref is not None and ref.kind == "call" and ref.member is None:
                return index.imported_module(target, ref.name.split(".")[0])
    return None


def ref_times_requests(model: RouteModel, path: str, ref: HandlerRef) -> bool:
    """An inline or workspace middleware that starts a timer and listens for
    the response's `finish` (or uses `on-finished`)."""
    ranges: list[tuple[str, int, int]] = []
    if ref.kind == "function":
        ranges.append((path, ref.start, ref.end))
    elif ref.kind in ("path", "call") and ref.path:
        target = model.index.function(model.index.resolve_path(path, ref.path, None))
        if target is not None:
            ranges.append((target[0], target[1].start, target[1].end))
    for p, start, end in ranges:
        ex = express_facts(model.ws.files.get(p))
        if any(start <= o < end for o in ex.timing_offsets):
            return True
    return any(ref_times_requests(model, path, a) for a in ref.args)


def package_json_for(ws, path: str) -> dict | None:
    d = posixpath.dirname(path)
    while True:
        pj = ws.package_jsons.get(f"{d}/package.json")
        if pj is not None:
            return pj
        if d == ws.root or posixpath.dirname(d) == d:
            return None
        d = posixpath.dirname(d)


def dependencies(pj: dict | None) -> set[str]:
    out: set[str] = set()
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        value = (pj or {}).get(key)
        if isinstance(value, dict):
            out |= set(value)
    return out


def node_at(source, start: int, end: int, kinds: tuple[str, ...]):
    """The node of one of `kinds` spanning exactly [start, end), or None."""
    tree = source.ensure_tree()
    node = tree.root_node.descendant_for_byte_range(start, end)
    while node is not None and not (node.start_byte == start and node.end_byte == end and node.type in kinds):
        if node.start_byte < start or node.end_byte > end:
            return None
        node = node.parent
    return node


def statement_of(node):
    while node is not None and node.parent is not None and node.parent.type not in ("program", "statement_block", "class_body"):
        node = node.parent
    return node


def line_indent(data: bytes, offset: int) -> str:
    line_start = data.rfind(b"\n", 0, offset) + 1
    i = line_start
    while i < len(data) and data[i] in (0x20, 0x09):
        i += 1
    return data[line_start:i].decode("utf-8")


def import_insertion(source) -> tuple[int, str, str]:
    """(offset, text before, text after) to add an import line: after the last
    import (or `require`), else at the top of the file."""
    root = source.ensure_tree().root_node
    imports = [s for s in root.named_children if s.type == "import_statement"]
    requires = [s for s in root.named_children
                if s.type in ("lexical_declaration", "variable_declaration") and b"require(" in (s.text or b"")]
    last = (imports or requires or [None])[-1]
    if last is not None:
        return last.end_byte, "\n", ""
    return 0, "", "\n"


def uses_esm(source) -> bool:
    root = source.ensure_tree().root_node
    if any(s.type == "import_statement" for s in root.named_children):
        return True
    return source.language == "typescript" and b"require(" not in source.data


def import_line(source, local: str, module: str, named: bool = False) -> str:
    if uses_esm(source):
        return f"import {{ {local} }} from '{module}';" if named else f"import {local} from '{module}';"
    return f"const {{ {local} }} = require('{module}');" if named else f"const {local} = require('{module}');"


def relative_spec(from_path: str, to_path: str, source) -> str:
    stem = posixpath.splitext(to_path)[0]
    if stem.endswith("/index"):
        stem = stem[: -len("/index")]
    spec = posixpath.relpath(stem, posixpath.dirname(from_path))
    if not spec.startswith("."):
        spec = "./" + spec
    if re.search(rb"from ['\"]\.{1,2}/[^'\"]+\.js['\"]", source.data):
        spec += ".js"
    return spec


def query_arg_keys(ws, effect: Effect) -> set[str] | None:
    """Top-level keys of a query's argument object; None when it cannot be
    seen (a variable, a spread): then a rule must assume any key is there."""
    source = ws.files.get(effect.path)
    if source is None:
        return None
    node = node_at(source, effect.start, effect.end, ("call_expression",))
    args = node.child_by_field_name("arguments") if node is not None else None
    if args is None:
        return None
    named = [a for a in args.named_children if a.type != "comment"]
    if not named:
        return set()
    obj = unwrap(named[0])
    if obj is None or obj.type != "object":
        return None
    keys: set[str] = set()
    for prop in obj.named_children:
        if prop.type == "pair":
            key = prop.child_by_field_name("key")
            keys.add(node_text(key).strip("'\"") if key is not None else "")
        elif prop.type == "shorthand_property_identifier":
            keys.add(node_text(prop))
        elif prop.type == "spread_element":
            return None
        elif prop.type == "method_definition":
            continue
    return keys


def query_filters_by_list(ws, effect: Effect) -> bool:
    """`where: { id: { in: ids } }`: the result is bounded by a list the code holds."""
    source = ws.files.get(effect.path)
    node = node_at(source, effect.start, effect.end, ("call_expression",)) if source else None
    return node is not None and re.search(rb"\bin\s*:", node.text or b"") is not None
