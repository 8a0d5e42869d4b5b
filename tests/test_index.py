"""Cross-file resolution shapes that real Express backends use."""

from helpers import line_containing, lines_of, make_workspace, run_rules
from perfaudit.server.express.routes import routes

CATCH_ASYNC = """\
    import type { Request, Response, NextFunction } from 'express';
    export const catchAsync = (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>) =>
      (req: Request, res: Response, next: NextFunction) => {
        fn(req, res, next).catch(next);
      };
    """

# A service written as an object of functions, exported as the default.
USER_SERVICE = """\
    import { PrismaClient } from '@prisma/client';
    const prisma = new PrismaClient();

    const listUsers = async () => prisma.user.findMany({ select: { id: true, email: true }, take: 50 });
    const getUser = async (id: string) => prisma.user.findUnique({ where: { id }, select: { id: true } });
    const touch = async (id: string) =>
      prisma.user.update({ where: { id }, data: { name: 'seen' }, select: { id: true } });

    export default { listUsers, getUser, touch };
    """

# Controllers wrapped in catchAsync, exported in an object.
USER_CONTROLLER = """\
    import { catchAsync } from '../../utils/catchAsync';
    import userService from './user.service';

    const getUsers = catchAsync(async (req, res) => {
      const users = await userService.listUsers();
      res.json(users);
    });

    const touchAll = catchAsync(async (req, res) => {
      for (const id of req.body.ids as string[]) {
        await userService.touch(id);
      }
      res.sendStatus(204);
    });

    export default { getUsers, touchAll };
    """

USER_ROUTE = """\
    import express from 'express';
    import userController from './user.controller';

    const router = express.Router();
    router.route('/').get(userController.getUsers);
    router.post('/touch', userController.touchAll);
    export default router;
    """

APP = """\
    import express from 'express';
    import userRoute from './modules/user/user.route';

    export const app = express();
    app.use('/v1/users', userRoute);
    """

FILES = {
    "src/utils/catchAsync.ts": CATCH_ASYNC,
    "src/modules/user/user.service.ts": USER_SERVICE,
    "src/modules/user/user.controller.ts": USER_CONTROLLER,
    "src/modules/user/user.route.ts": USER_ROUTE,
    "src/app.ts": APP,
}


def test_handlers_wrapped_in_catch_async_reach_the_service_object(tmp_path):
    ws = make_workspace(tmp_path, FILES)
    by_title = {r.title: r for r in routes(ws)}
    assert set(by_title) == {"GET /v1/users", "POST /v1/users/touch"}
    assert [(e.target, e.op) for e in by_title["GET /v1/users"].queries] == [("User", "findMany")]
    assert [(e.target, e.op) for e in by_title["POST /v1/users/touch"].queries] == [("User", "update")]


def test_n_plus_one_through_a_wrapped_handler_and_an_object_service(tmp_path):
    findings = run_rules(tmp_path, FILES, "P104")
    line = line_containing(USER_CONTROLLER, "await userService.touch(id)")
    assert lines_of(tmp_path, findings) == [("src/modules/user/user.controller.ts", line, "P104")]
    assert "User.update via touch" in findings[0].message


def test_a_wrapper_without_an_inline_function_stays_unknown(tmp_path):
    """`const limiter = rateLimit({...})` is not a function the index can run."""
    files = {
        "src/limits.ts": """\
            import rateLimit from 'express-rate-limit';
            import { PrismaClient } from '@prisma/client';
            const prisma = new PrismaClient();
            export const limiter = rateLimit({ windowMs: 60_000, max: 100 });
            export async function run(ids: string[]) {
              for (const id of ids) {
                await limiter(id as any, {} as any, () => undefined);
              }
            }
            """,
    }
    assert run_rules(tmp_path, files, "P104") == []


def test_a_file_added_later_resolves_what_did_not_resolve_before(tmp_path):
    """The editor opens the controller before the workspace scan reads the
    service: once the service arrives, the loop's N+1 is found."""
    from perfaudit.server.engine import Engine
    from perfaudit.server.analysis.workspace import Workspace
    from helpers import write_files, with_schema

    write_files(tmp_path, with_schema({k: v for k, v in FILES.items() if not k.endswith("user.service.ts")}))
    ws = Workspace(str(tmp_path))
    ws.load()
    engine = Engine(ws)
    controller = str(tmp_path / "src/modules/user/user.controller.ts")
    assert [f for f in engine.check_file(controller) if f.code == "P104"] == []
    import textwrap

    ws.set_source(str(tmp_path / "src/modules/user/user.service.ts"), textwrap.dedent(USER_SERVICE))
    assert [f.code for f in engine.check_file(controller) if f.code == "P104"] == ["P104"]


def test_a_delegate_held_in_a_class_member_is_a_prisma_query(tmp_path):
    """Repositories that keep `prisma.user` (or a `Prisma.UserDelegate`) in a field."""
    files = {
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/users.repository.ts": """\
            import { Prisma } from '@prisma/client';
            import { prisma } from './db';

            export class UsersRepository {
              private readonly users = prisma.user;
              constructor(private readonly comments: Prisma.CommentDelegate = prisma.comment) {}

              byId(id: string) {
                return this.users.findUnique({ where: { id }, select: { id: true } });
              }

              commentsOf(userId: string) {
                return this.comments.findMany({ where: { userId }, take: 20, select: { id: true } });
              }
            }
            export const usersRepository = new UsersRepository();
            """,
        "src/users.service.ts": """\
            import { usersRepository } from './users.repository';
            export async function withComments(ids: string[]) {
              const out = [];
              for (const id of ids) {
                out.push(await usersRepository.byId(id), await usersRepository.commentsOf(id));
              }
              return out;
            }
            """,
    }
    findings = run_rules(tmp_path, files, "P104")
    # Two queries per item, each reported at its own call on the line.
    assert lines_of(tmp_path, findings) == [("src/users.service.ts", 5, "P104")] * 2
    sites = {(e.target, e.op) for e in make_workspace(tmp_path, {}).index.effects_of_function(
        str(tmp_path / "src/users.service.ts"), "withComments")}
    assert sites == {("User", "findUnique"), ("Comment", "findMany")}


def test_repositories_from_lazy_getters_are_followed_into_their_queries(tmp_path):
    """`getPostRepository()` builds its repository on first use (`let repo:
    PostRepository | null = null`), and `posts()` hands out a module
    singleton: a loop over either runs the repository's query once per item."""
    files = {
        "src/db.ts": "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        "src/posts/post.repository.ts": """\
            import { prisma } from '../db';

            export class PostRepository {
              publish(id: string) {
                return prisma.post.update({ where: { id }, data: { published: true }, select: { id: true } });
              }
            }

            let repository: PostRepository | null = null;

            export function getPostRepository(): PostRepository | null {
              if (!repository) {
                repository = new PostRepository();
              }
              return repository;
            }

            const shared = new PostRepository();
            export const posts = () => shared;
            export const byKey = (key: string) => shared;
            """,
        "src/posts/publishing.service.ts": """\
            import { getPostRepository, posts, byKey } from './post.repository';

            export async function publishAll(ids: string[]) {
              for (const id of ids) {
                await getPostRepository()!.publish(id);
              }
            }

            export async function publishEach(ids: string[]) {
              for (const id of ids) {
                await posts().publish(id);
              }
            }

            export async function publishByKey(ids: string[]) {
              for (const id of ids) {
                await byKey(id).publish(id);
              }
            }
            """,
    }
    findings = run_rules(tmp_path, files, "P104")
    service = files["src/posts/publishing.service.ts"]
    assert lines_of(tmp_path, findings) == [
        ("src/posts/publishing.service.ts", line_containing(service, "getPostRepository()!"), "P104"),
        ("src/posts/publishing.service.ts", line_containing(service, "await posts()"), "P104"),
    ]  # an arrow with parameters (`byKey`) is not read as a factory
    assert all("Post.update via PostRepository.publish" in f.message for f in findings)
