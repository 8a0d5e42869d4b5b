"""The HTTP wing: Express apps and routers, NestJS controllers, the route
model across files, route edits for the fixes, and request logs.

Importing it registers the app/router facts and the cache-helper classifier."""

from perfaudit.server.express import routes as _routes  # noqa: F401 (registers)
