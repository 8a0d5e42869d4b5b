"""E301/E302 on the app objects of NestJS (`NestFactory.create`) and Fastify (`fastify()`)."""

from helpers import line_containing, lines_of, run_rules

NEST_PKG = '{ "dependencies": { "@nestjs/core": "^10.0.0", "@nestjs/common": "^10.0.0", "compression": "^1.7.4", "@types/compression": "^1.7.5" } }'

BARE_MAIN = """
    import { NestFactory } from '@nestjs/core';
    import { SwaggerModule, DocumentBuilder } from '@nestjs/swagger';
    import { AppModule } from './app.module';

    async function bootstrap() {
      const app = await NestFactory.create(AppModule);
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      SwaggerModule.setup('docs', app, document);
      await app.listen(3000);
    }
    bootstrap();
"""


def test_a_bare_nest_app_fires_at_nest_factory_create(tmp_path):
    files = {"package.json": NEST_PKG, "src/main.ts": BARE_MAIN, "src/app.module.ts": "export class AppModule {}\n"}
    found = run_rules(tmp_path, files, ["E301", "E302"], schema=False)
    line = line_containing(BARE_MAIN, "NestFactory.create")
    assert lines_of(tmp_path, found) == [("src/main.ts", line, "E301"), ("src/main.ts", line, "E302")]
    e301 = next(f for f in found if f.code == "E301")
    assert e301.message.startswith("NestJS app without compression")
    (fix,) = e301.fixes
    assert "app.use(compression());" in "".join(e.new_text for e in fix.edits)


TIMING_INTERCEPTOR = """
    import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
    import { tap } from 'rxjs';

    @Injectable()
    export class LoggingInterceptor implements NestInterceptor {
      intercept(context: ExecutionContext, next: CallHandler) {
        const started = performance.now();
        return next.handle().pipe(tap(() => console.log(context.getHandler().name, performance.now() - started)));
      }
    }
"""
SHAPING_INTERCEPTOR = """
    import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
    import { map } from 'rxjs';

    @Injectable()
    export class EnvelopeInterceptor implements NestInterceptor {
      intercept(_context: ExecutionContext, next: CallHandler) {
        return next.handle().pipe(map((data) => ({ data })));
      }
    }
"""


def _main(interceptor: str) -> str:
    return f"""
        import {{ NestFactory }} from '@nestjs/core';
        import type {{ NestExpressApplication }} from '@nestjs/platform-express';
        import compression from 'compression';
        import {{ AppModule }} from './app.module';
        import {{ {interceptor} }} from './interceptor';

        async function bootstrap() {{
          const app = await NestFactory.create<NestExpressApplication>(AppModule);
          app.use(compression());
          app.useGlobalInterceptors(new {interceptor}());
          await app.listen(3000);
        }}
        bootstrap();
    """


def test_a_global_interceptor_that_reads_a_clock_counts_as_timing(tmp_path):
    files = {"package.json": NEST_PKG, "src/main.ts": _main("LoggingInterceptor"), "src/interceptor.ts": TIMING_INTERCEPTOR,
             "src/app.module.ts": "export class AppModule {}\n"}
    assert run_rules(tmp_path, files, ["E301", "E302"], schema=False) == []


def test_an_interceptor_that_only_shapes_responses_does_not(tmp_path):
    main = _main("EnvelopeInterceptor")
    files = {"package.json": NEST_PKG, "src/main.ts": main, "src/interceptor.ts": SHAPING_INTERCEPTOR,
             "src/app.module.ts": "export class AppModule {}\n"}
    found = run_rules(tmp_path, files, ["E301", "E302"], schema=False)
    assert lines_of(tmp_path, found) == [("src/main.ts", line_containing(main, "NestFactory.create"), "E302")]


def test_middleware_applied_in_a_module_counts_for_the_app(tmp_path):
    module = """
        import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
        import { RequestTimer } from './request-timer.middleware';

        @Module({})
        export class AppModule implements NestModule {
          configure(consumer: MiddlewareConsumer) {
            consumer.apply(RequestTimer).forRoutes('*');
          }
        }
    """
    middleware = """
        import { Injectable, NestMiddleware } from '@nestjs/common';
        import type { NextFunction, Request, Response } from 'express';

        @Injectable()
        export class RequestTimer implements NestMiddleware {
          use(req: Request, res: Response, next: NextFunction) {
            const started = Date.now();
            res.on('finish', () => console.log(req.method, req.originalUrl, Date.now() - started));
            next();
          }
        }
    """
    files = {"package.json": NEST_PKG, "src/main.ts": BARE_MAIN, "src/app.module.ts": module,
             "src/request-timer.middleware.ts": middleware}
    found = run_rules(tmp_path, files, ["E301", "E302"], schema=False)
    assert lines_of(tmp_path, found) == [("src/main.ts", line_containing(BARE_MAIN, "NestFactory.create"), "E301")]


FASTIFY_BARE = """
    import Fastify from 'fastify';

    const app = Fastify();

    app.get('/health', async () => ({ ok: true }));

    app.listen({ port: 3000 });
"""
FASTIFY_SET_UP = """
    import Fastify from 'fastify';
    import compress from '@fastify/compress';

    const app = Fastify({ logger: true });

    await app.register(compress, { global: true });
    app.get('/health', async () => ({ ok: true }));

    app.listen({ port: 3000 });
"""
FASTIFY_HOOK = """
    import { fastify } from 'fastify';

    export const server = fastify();

    server.addHook('onResponse', async (request, reply) => {
      request.log.info({ url: request.url, ms: reply.elapsedTime }, 'done');
    });
"""


def test_fastify_apps(tmp_path):
    found = run_rules(tmp_path / "bare", {"src/server.ts": FASTIFY_BARE}, ["E301", "E302"], schema=False)
    line = line_containing(FASTIFY_BARE, "Fastify()")
    assert lines_of(tmp_path / "bare", found) == [("src/server.ts", line, "E301"), ("src/server.ts", line, "E302")]
    assert all(f.fixes == () for f in found)  # Express middleware does not fit a Fastify app
    assert "@fastify/compress" in next(f for f in found if f.code == "E301").message
    assert run_rules(tmp_path / "set", {"src/server.ts": FASTIFY_SET_UP}, ["E301", "E302"], schema=False) == []
    hooked = run_rules(tmp_path / "hook", {"src/server.ts": FASTIFY_HOOK}, ["E301", "E302"], schema=False)
    assert lines_of(tmp_path / "hook", hooked) == [("src/server.ts", line_containing(FASTIFY_HOOK, "fastify();"), "E301")]
